mod backoff;
mod examples;
mod ha;
mod parse;
mod schedule;
mod transport;
mod validate;
