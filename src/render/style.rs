//! ANSI styling, applied only when the caller says colour is on.

/// What a piece of text is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Add,
    Change,
    Warn,
    Error,
    Dim,
    Bold,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Add => "32",
            Style::Change => "33",
            Style::Warn => "35",
            Style::Error => "31;1",
            Style::Dim => "2",
            Style::Bold => "1",
        }
    }

    /// `text`, wrapped in this style's escape codes when `color` is on.
    pub(crate) fn paint(self, text: &str, color: bool) -> String {
        if color {
            format!("\x1b[{}m{text}\x1b[0m", self.code())
        } else {
            text.to_owned()
        }
    }
}
