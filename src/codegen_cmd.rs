//! `ringfix codegen --dict FILE [--dict FILE ...] --out DIR`: typed message
//! modules from QuickFIX XML dictionaries (the library behind it,
//! `ringfix-codegen`, is what a `build.rs` calls).
//!
//! One `DIR/<name>.rs` per dictionary, `<name>` from the file's stem
//! (`FIX44.xml` -> `fix44.rs`, `venue-fix44.xml` -> `venue_fix44.rs`): a
//! module body to declare with `mod <name>;` or to `include!`.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `ringfix codegen`.
#[derive(Debug, Clone, clap::Args)]
pub struct CodegenArgs {
    /// A QuickFIX XML data dictionary (repeat for several).
    #[arg(long = "dict", value_name = "FILE", required = true)]
    pub dicts: Vec<PathBuf>,
    /// Where the modules are written (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The path generated code uses for the codec: `::ringfix::codec` for
    /// crates using the `ringfix` facade, `::ringfix_codec` for ones using
    /// the codec directly.
    #[arg(long, value_name = "PATH", default_value = "::ringfix::codec")]
    pub runtime: String,
}

/// Runs `ringfix codegen`: 0 written, 1 a dictionary failed to load or generate.
pub fn run(args: &CodegenArgs) -> ExitCode {
    let mut g = ringfix_codegen::Generator::new().runtime(&args.runtime);
    for path in &args.dicts {
        let module = ringfix_codegen::module_name(path);
        g = match g.dictionary_file(path, &module) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("ringfix codegen: {e}");
                return ExitCode::FAILURE;
            }
        };
    }
    match g.write(&args.out) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ringfix codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
