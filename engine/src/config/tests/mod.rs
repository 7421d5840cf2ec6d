mod backoff;
mod examples;
mod parse;
mod schedule;
mod transport;
mod validate;
