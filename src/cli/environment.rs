//! The `ENTITLE_` variables entitle reads, in one list, and the warning for one it does not
//! read: a misspelt variable would otherwise do nothing, silently (`ENTITLE_API_URL` leaving
//! the production URL in place).

use std::ffi::OsString;

use crate::render::{EnvWarning, write_env_warnings};

/// Every `ENTITLE_` variable entitle reads. A test checks that the code names no other and
/// that docs/configuration.md documents each.
pub const READ: [&str; 9] = [
    "ENTITLE_BACKEND",
    "ENTITLE_BASE_URL",
    "ENTITLE_CLIENT_ID",
    "ENTITLE_CLIENT_SECRET",
    "ENTITLE_CREDENTIALS_FILE",
    "ENTITLE_LOCK_DIR",
    "ENTITLE_RATE_LIMIT",
    "ENTITLE_SETTLE_PERIOD",
    "ENTITLE_TIMEOUT",
];

/// `ENTITLE_` variables set around entitle rather than for it, never warned about: the
/// release pins of the example workflow and of the composite action, and the schema URL a
/// release build bakes in (read by the compiler, not at run time).
pub const ALONGSIDE: [&str; 3] = ["ENTITLE_SCHEMA_URL", "ENTITLE_SHA256", "ENTITLE_VERSION"];

const PREFIX: &str = "ENTITLE_";

/// Warns on stderr, once, about each `ENTITLE_` variable of the environment that entitle does
/// not read.
pub fn warn_about_unknown_variables() {
    let warnings = unknown(std::env::vars_os().map(|(name, _)| name));
    // A warning that cannot be written is no reason to stop.
    let _ = write_env_warnings(&warnings, &READ, &mut std::io::stderr().lock());
}

/// A warning for each of `names` that looks like entitle's (`ENTITLE_`, in any case) but is
/// not one it reads, in name order.
pub(crate) fn unknown(names: impl IntoIterator<Item = OsString>) -> Vec<EnvWarning> {
    let mut names: Vec<String> = names
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| {
            n.get(..PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX))
        })
        .filter(|n| !is_known(n))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| EnvWarning::Unknown {
            closest: closest(&name),
            name,
        })
        .collect()
}

fn is_known(name: &str) -> bool {
    let known = |n: &str| READ.contains(&n) || ALONGSIDE.contains(&n);
    // Windows reads variables whatever their case: `entitle_base_url` is ENTITLE_BASE_URL there.
    known(name) || (cfg!(windows) && known(&name.to_ascii_uppercase()))
}

/// The variable entitle reads that `name` most likely meant: by spelling (`ENTITLE_CLIENTID`,
/// `ENTITLE_TIMEOUT_SECS`, `ENTITLE_SECRET`), else by a word in common, closest first
/// (`ENTITLE_API_URL` → ENTITLE_BASE_URL); none when nothing is close.
pub(crate) fn closest(name: &str) -> Option<&'static str> {
    let wanted = name.get(PREFIX.len()..).unwrap_or_default();
    let rest = |n: &'static str| &n[PREFIX.len()..];
    if let Some(found) = crate::manifest::suggest(wanted, READ.iter().map(|n| rest(n))) {
        return READ.iter().copied().find(|n| rest(n) == found);
    }
    let words = |s: &str| -> Vec<String> {
        s.split('_')
            .filter(|w| w.len() >= 2)
            .map(str::to_ascii_uppercase)
            .collect()
    };
    let ours = words(wanted);
    let upper = name.to_ascii_uppercase();
    READ.iter()
        .copied()
        .filter(|n| words(rest(n)).iter().any(|w| ours.contains(w)))
        .min_by_key(|n| strsim::osa_distance(&upper, n))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn a_misspelt_variable_gets_the_closest_name_entitle_reads() {
        for (name, meant) in [
            ("ENTITLE_API_URL", Some("ENTITLE_BASE_URL")),
            ("ENTITLE_URL", Some("ENTITLE_BASE_URL")),
            ("ENTITLE_BASEURL", Some("ENTITLE_BASE_URL")),
            ("entitle_base_url", Some("ENTITLE_BASE_URL")),
            ("ENTITLE_CLIENTID", Some("ENTITLE_CLIENT_ID")),
            ("ENTITLE_ID", Some("ENTITLE_CLIENT_ID")),
            ("ENTITLE_SECRET", Some("ENTITLE_CLIENT_SECRET")),
            ("ENTITLE_CLIENT_SECRETS", Some("ENTITLE_CLIENT_SECRET")),
            ("ENTITLE_CREDENTIALS", Some("ENTITLE_CREDENTIALS_FILE")),
            ("ENTITLE_TIMEOUT_SECS", Some("ENTITLE_TIMEOUT")),
            ("ENTITLE_RATELIMIT", Some("ENTITLE_RATE_LIMIT")),
            ("ENTITLE_SETTLE", Some("ENTITLE_SETTLE_PERIOD")),
            ("ENTITLE_LOCKS_DIR", Some("ENTITLE_LOCK_DIR")),
            ("ENTITLE_BAKEND", Some("ENTITLE_BACKEND")),
            ("ENTITLE_PASSWORD", None),
            ("ENTITLE_DEBUG", None),
        ] {
            assert_eq!(closest(name), meant, "{name}");
        }
    }

    #[test]
    fn only_variables_entitle_does_not_read_are_warned_about_in_name_order() {
        let env = [
            "PATH",
            "ENTITLE_TIMEOUT",
            "ENTITLE_VERSION",
            "ENTITLE_SHA256",
            "ENTITLE_PASSWORD",
            "ENTITLE_API_URL",
            "MY_ENTITLE_THING",
            "ENTITLE",
        ]
        .map(OsString::from);
        assert_eq!(
            unknown(env),
            [
                EnvWarning::Unknown {
                    name: "ENTITLE_API_URL".into(),
                    closest: Some("ENTITLE_BASE_URL"),
                },
                EnvWarning::Unknown {
                    name: "ENTITLE_PASSWORD".into(),
                    closest: None,
                },
            ]
        );
    }

    /// Every `ENTITLE_` name in `dir`'s Rust files (but the files of the warning itself, whose
    /// tests name variables entitle does not read).
    fn names_in(dir: &Path, out: &mut std::collections::BTreeSet<String>) {
        let re = regex::Regex::new(r"ENTITLE_[A-Z0-9_]+").unwrap();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                names_in(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("cli/environment.rs")
                && !path.ends_with("render/environment.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                out.extend(re.find_iter(&text).map(|m| m.as_str().to_owned()));
            }
        }
    }

    #[test]
    fn the_list_is_every_variable_the_code_names_and_the_docs_document() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut named = std::collections::BTreeSet::new();
        names_in(&root.join("src"), &mut named);
        names_in(&root.join("crates"), &mut named);
        for name in &named {
            assert!(
                READ.contains(&name.as_str()) || ALONGSIDE.contains(&name.as_str()),
                "the code names {name}, which neither READ nor ALONGSIDE lists"
            );
        }
        for name in READ {
            assert!(
                named.contains(name),
                "no code reads {name}, which READ lists"
            );
        }
        let docs = std::fs::read_to_string(root.join("docs/configuration.md")).unwrap();
        for name in READ {
            assert!(
                docs.contains(&format!("`{name}`")),
                "docs/configuration.md does not document {name}"
            );
        }
    }
}
