//! What entitle says about its environment on stderr, before a command's work: a variable
//! that looks like entitle's but is not one it reads, and ENTITLE_BASE_URL under `--sandbox`.

use std::io::{self, Write};

/// A mistake in the environment worth a line on stderr; nothing stops for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvWarning {
    /// An `ENTITLE_` variable entitle does not read, and the closest name it does read.
    Unknown {
        name: String,
        closest: Option<&'static str>,
    },
    /// `--sandbox` with ENTITLE_BASE_URL set (not `--base-url`): the sandbox is used.
    SandboxOverBaseUrl { value: String },
}

/// Writes each warning on its line; `read` names the variables entitle reads.
pub(crate) fn write_env_warnings(
    warnings: &[EnvWarning],
    read: &[&str],
    w: &mut impl Write,
) -> io::Result<()> {
    for warning in warnings {
        match warning {
            EnvWarning::Unknown {
                name,
                closest: Some(closest),
            } => writeln!(
                w,
                "warning: {name} is not a variable entitle reads; did you mean {closest}?"
            )?,
            EnvWarning::Unknown {
                name,
                closest: None,
            } => writeln!(
                w,
                "warning: {name} is not a variable entitle reads, nor close to one; it reads {}",
                read.join(", ")
            )?,
            EnvWarning::SandboxOverBaseUrl { value } => writeln!(
                w,
                "warning: --sandbox runs against the built-in simulator: ENTITLE_BASE_URL={} is ignored",
                without_userinfo(value)
            )?,
        }
    }
    Ok(())
}

/// A URL with any `user:password@` replaced by `***@`: a secret never reaches the output.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_warning_is_one_line_naming_the_variable_and_what_to_do() {
        let mut out = Vec::new();
        write_env_warnings(
            &[
                EnvWarning::Unknown {
                    name: "ENTITLE_API_URL".into(),
                    closest: Some("ENTITLE_BASE_URL"),
                },
                EnvWarning::Unknown {
                    name: "ENTITLE_PASSWORD".into(),
                    closest: None,
                },
                EnvWarning::SandboxOverBaseUrl {
                    value: "https://openapi.partner.yeastar.com".into(),
                },
                EnvWarning::SandboxOverBaseUrl {
                    value: "https://partner:s3cret@proxy.example:8443/v1?x=a@b".into(),
                },
            ],
            &["ENTITLE_BASE_URL", "ENTITLE_TIMEOUT"],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "warning: ENTITLE_API_URL is not a variable entitle reads; did you mean ENTITLE_BASE_URL?\n\
             warning: ENTITLE_PASSWORD is not a variable entitle reads, nor close to one; it reads ENTITLE_BASE_URL, ENTITLE_TIMEOUT\n\
             warning: --sandbox runs against the built-in simulator: ENTITLE_BASE_URL=https://openapi.partner.yeastar.com is ignored\n\
             warning: --sandbox runs against the built-in simulator: ENTITLE_BASE_URL=https://***@proxy.example:8443/v1?x=a@b is ignored\n"
        );
    }
}
