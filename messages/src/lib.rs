//! Typed FIX messages for every shipped version, generated at build time
//! from the dictionaries in `codec/spec` by `ringfix-codegen`: one module
//! per version behind a cargo feature (`fix42`, `fix44`, `fix50sp2` and
//! `fixt11` by default).
#![deny(missing_docs)]

macro_rules! version {
    ($feature:literal, $module:ident, $file:literal, $doc:literal) => {
        #[cfg(feature = $feature)]
        #[doc = $doc]
        pub mod $module {
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}

version!("fix40", fix40, "fix40.rs", "FIX.4.0 (feature `fix40`).");
version!("fix41", fix41, "fix41.rs", "FIX.4.1 (feature `fix41`).");
version!("fix42", fix42, "fix42.rs", "FIX.4.2 (feature `fix42`).");
version!("fix43", fix43, "fix43.rs", "FIX.4.3 (feature `fix43`).");
version!("fix44", fix44, "fix44.rs", "FIX.4.4 (feature `fix44`).");
version!("fix50", fix50, "fix50.rs", "FIX.5.0 (feature `fix50`).");
version!(
    "fix50sp1",
    fix50sp1,
    "fix50sp1.rs",
    "FIX.5.0SP1 (feature `fix50sp1`)."
);
version!(
    "fix50sp2",
    fix50sp2,
    "fix50sp2.rs",
    "FIX.5.0SP2 (feature `fix50sp2`)."
);
version!(
    "fixt11",
    fixt11,
    "fixt11.rs",
    "FIXT.1.1 (feature `fixt11`)."
);

mod versioned;

pub use versioned::{dispatch, version_of, DispatchError, Versioned};
