mod backoff;
mod examples;
mod parse;
mod schedule;
mod table;
mod transport;
mod validate;
