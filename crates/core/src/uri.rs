//! Percent-encoding for the URIs entitle writes: SARIF artifact locations and links to
//! manifest lines in pull-request comments.

/// One path segment of a URI: every byte but RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) percent-encoded.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(super::segment("acme-1.yaml_~"), "acme-1.yaml_~");
        assert_eq!(super::segment("a b/c#é"), "a%20b%2Fc%23%C3%A9");
    }
}
