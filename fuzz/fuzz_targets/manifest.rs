//! Fuzzes the manifest loader with arbitrary bytes: it must never panic, and must either load
//! or explain every problem with a place (never an "internal error").
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match entitle::manifest::load_from_memory(&[("fuzz.yaml", data)]) {
        Ok(loaded) => {
            for pbx in &loaded.pbxs {
                assert!(!pbx.sn.is_empty());
                assert!(
                    pbx.sn.bytes().all(|b| b.is_ascii_alphanumeric()),
                    "{}",
                    pbx.sn
                );
            }
        }
        Err(problems) => {
            assert!(!problems.0.is_empty());
            for p in &problems.0 {
                assert!(p.at.is_some(), "{p}");
                assert!(!p.message.starts_with("internal error"), "{p}");
            }
        }
    }
});
