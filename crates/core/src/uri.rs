//! Percent-encoding for the URIs entitle writes: SARIF artifact locations and links to
//! manifest lines in pull-request comments.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment of a URI: every byte but the unreserved characters percent-encoded.
pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(super::segment("acme-1.yaml_~"), "acme-1.yaml_~");
        assert_eq!(super::segment("a b/c#é"), "a%20b%2Fc%23%C3%A9");
    }
}
