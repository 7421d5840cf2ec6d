//! One NewOrderSingle at a time through an acceptor connection without a
//! ring (`runtime::hops`): the workload `scripts/hops.sh` runs under
//! callgrind to count the function hops of the receive and send paths.

use ringfix_engine::runtime::hops::Hops;
use std::hint::black_box;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// NewOrderSingles fed after the Logon.
    #[arg(long, default_value_t = 1000)]
    pub orders: usize,
}

pub fn run(args: &Args) -> Result<(), String> {
    let mut h = Hops::new(args.orders)?;
    let mut bytes = 0usize;
    for n in 0..args.orders {
        let written = black_box(h.order());
        if written == 0 {
            return Err(format!("order {n} got no answer"));
        }
        bytes += written;
    }
    println!("{} orders, {bytes} bytes answered", args.orders);
    Ok(())
}
