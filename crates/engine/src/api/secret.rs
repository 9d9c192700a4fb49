//! [`Secret`]: a string that never shows itself. The client secret and the access and refresh
//! tokens live in this type so that no `Debug`, `Display` or log line can reveal them.

use std::fmt;

/// A secret value. `Debug` prints `Secret(***)`; there is no `Display` and no `Serialize`, so the
/// only way to read it is [`Secret::expose`], which the transport calls when it builds a request.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for putting on the wire. Never log or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s:#?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
