//! The `ringfix` command line.
fn main() {}
