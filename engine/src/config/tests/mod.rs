mod backoff;
mod examples;
mod parse;
mod schedule;
mod store;
mod transport;
mod validate;
