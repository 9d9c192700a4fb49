//! Where the API credentials come from: the environment (`ENTITLE_CLIENT_ID` and
//! `ENTITLE_CLIENT_SECRET`) or a private file named by `ENTITLE_CREDENTIALS_FILE` — never from
//! manifests, flags or plan files.
//!
//! The file holds `key=value` lines (blank lines and `#` comments allowed):
//!
//! ```text
//! client_id=0f3c...
//! client_secret=...
//! ```
//!
//! `ENTITLE_CLIENT_ID=` / `ENTITLE_CLIENT_SECRET=` are accepted as key names too, so a dotenv
//! file works. On unix the file must not be accessible by group or others (`chmod 600`).
//! Error messages name files, lines and keys, never values.

use std::path::{Path, PathBuf};

use super::Secret;

pub const ENV_CLIENT_ID: &str = "ENTITLE_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "ENTITLE_CLIENT_SECRET";
pub const ENV_CREDENTIALS_FILE: &str = "ENTITLE_CREDENTIALS_FILE";

/// The partner's API client credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Secret,
}

/// Why credentials could not be found or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no API credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or {ENV_CREDENTIALS_FILE} \
         to a file with client_id=... and client_secret=... lines (or try --sandbox)"
    )]
    Missing,
    #[error(
        "{set} is set but {missing} is not; set both (or neither and use {ENV_CREDENTIALS_FILE})"
    )]
    Partial {
        set: &'static str,
        missing: &'static str,
    },
    #[error("{name} is empty")]
    Empty { name: String },
    #[error("cannot read credentials file {path}: {reason}")]
    FileRead { path: PathBuf, reason: String },
    #[error(
        "credentials file {path} is accessible by group or others (mode {mode:04o}); \
         run `chmod 600 {path}`"
    )]
    FilePermissions { path: PathBuf, mode: u32 },
    #[error("credentials file {path}, line {line}: {reason}")]
    FileSyntax {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("credentials file {path} has no `{key}=` line")]
    FileMissingKey { path: PathBuf, key: &'static str },
}

impl Credentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Credentials {
        Credentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// Reads the credentials from the process environment (see the module docs). The two
    /// variables win over the file when both are present.
    pub fn from_env() -> Result<Credentials, ConfigError> {
        Credentials::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Credentials::from_env`] over any variable lookup (tests, embedding).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Credentials, ConfigError> {
        let id = get(ENV_CLIENT_ID);
        let secret = get(ENV_CLIENT_SECRET);
        match (id, secret) {
            (Some(id), Some(secret)) => {
                non_empty(ENV_CLIENT_ID, &id)?;
                non_empty(ENV_CLIENT_SECRET, &secret)?;
                Ok(Credentials::new(id, secret))
            }
            (Some(_), None) => Err(ConfigError::Partial {
                set: ENV_CLIENT_ID,
                missing: ENV_CLIENT_SECRET,
            }),
            (None, Some(_)) => Err(ConfigError::Partial {
                set: ENV_CLIENT_SECRET,
                missing: ENV_CLIENT_ID,
            }),
            (None, None) => match get(ENV_CREDENTIALS_FILE) {
                Some(path) if !path.is_empty() => Credentials::from_file(Path::new(&path)),
                Some(_) => Err(ConfigError::Empty {
                    name: ENV_CREDENTIALS_FILE.to_owned(),
                }),
                None => Err(ConfigError::Missing),
            },
        }
    }

    /// Reads a credentials file, refusing one that others can read.
    pub fn from_file(path: &Path) -> Result<Credentials, ConfigError> {
        check_private(path)?;
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::FileRead {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Credentials::parse_file(path, &text)
    }

    fn parse_file(path: &Path, text: &str) -> Result<Credentials, ConfigError> {
        let mut id = None;
        let mut secret = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let syntax = |reason: String| ConfigError::FileSyntax {
                path: path.to_owned(),
                line: i + 1,
                reason,
            };
            let Some((key, value)) = line.split_once('=') else {
                return Err(syntax("expected `key=value`".to_owned()));
            };
            let key = key.trim();
            let key = key.strip_prefix("export ").map(str::trim).unwrap_or(key);
            let value = unquote(value.trim());
            let slot = match key {
                "client_id" | "ENTITLE_CLIENT_ID" => &mut id,
                "client_secret" | "ENTITLE_CLIENT_SECRET" => &mut secret,
                // Nothing of the file is echoed, not even the key: a bare secret line holding a
                // `=` (base64 padding) would otherwise show as a "key". A known key it is close
                // to may be named: that is our text, not the file's.
                other => {
                    let meant = crate::manifest::suggest(other, ["client_id", "client_secret"])
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    return Err(syntax(format!(
                        "not a client_id or client_secret line{meant}"
                    )));
                }
            };
            if slot.is_some() {
                return Err(syntax(format!("`{key}` appears twice")));
            }
            if value.is_empty() {
                return Err(syntax(format!("`{key}` is empty")));
            }
            *slot = Some(value.to_owned());
        }
        let missing = |key| ConfigError::FileMissingKey {
            path: path.to_owned(),
            key,
        };
        let id = id.ok_or_else(|| missing("client_id"))?;
        let secret = secret.ok_or_else(|| missing("client_secret"))?;
        Ok(Credentials::new(id, secret))
    }
}

fn non_empty(name: &str, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::Empty {
            name: name.to_owned(),
        });
    }
    Ok(())
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| ConfigError::FileRead {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::FilePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), ConfigError> {
    // Windows ACLs are not mode bits; the file's location is the user's responsibility there.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn env_pair_wins_and_both_are_required() {
        let c = Credentials::from_vars(vars(&[
            (ENV_CLIENT_ID, "id1"),
            (ENV_CLIENT_SECRET, "s3cr3t"),
            (ENV_CREDENTIALS_FILE, "/nonexistent"),
        ]))
        .unwrap();
        assert_eq!(c.client_id, "id1");
        assert_eq!(c.client_secret.expose(), "s3cr3t");

        let e = Credentials::from_vars(vars(&[(ENV_CLIENT_ID, "id1")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ENTITLE_CLIENT_ID is set but ENTITLE_CLIENT_SECRET is not; set both (or neither and use ENTITLE_CREDENTIALS_FILE)"
        );
        let e = Credentials::from_vars(vars(&[])).unwrap_err();
        assert_eq!(e, ConfigError::Missing);
        let e = Credentials::from_vars(vars(&[(ENV_CLIENT_ID, "id"), (ENV_CLIENT_SECRET, " ")]))
            .unwrap_err();
        assert_eq!(e.to_string(), "ENTITLE_CLIENT_SECRET is empty");
    }

    #[test]
    fn file_format_accepts_comments_quotes_and_dotenv_keys() {
        let p = Path::new("creds");
        let c = Credentials::parse_file(
            p,
            "# entitle\n\nclient_id = abc\nexport ENTITLE_CLIENT_SECRET=\"x=y\"\n",
        )
        .unwrap();
        assert_eq!(c.client_id, "abc");
        assert_eq!(c.client_secret.expose(), "x=y");
    }

    #[test]
    fn file_errors_name_the_line_and_key_but_never_the_value() {
        let p = Path::new("creds");
        let e = Credentials::parse_file(p, "client_id=a\nclient_secrt=topsecret\n").unwrap_err();
        let msg = e.to_string();
        assert_eq!(
            msg,
            "credentials file creds, line 2: not a client_id or client_secret line; did you mean `client_secret`?"
        );
        let e = Credentials::parse_file(p, "client_id=a\nhunter2\n").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        // A bare base64 secret: its `=` padding makes it look like `key=value`.
        let e = Credentials::parse_file(p, "client_id=a\nc2VjcmV0LXZhbHVlLTQy==\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "credentials file creds, line 2: not a client_id or client_secret line"
        );
        let e = Credentials::parse_file(p, "client_id=a\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "credentials file creds has no `client_secret=` line"
        );
    }
}
