//! How output looks: symbols for outcomes and progress, and colour.
//!
//! Commands always write styled text; whether the escape codes reach the reader is decided
//! once per stream where it is opened (`anstream`: colour only on a terminal, never with
//! `NO_COLOR` set, always with `CLICOLOR_FORCE=1`), so a pipe, a file or a test sees plain
//! text. The symbols are plain characters and stay: `✔` done, `✗` failed, `◎` in progress
//! or waiting.

use anstyle::{AnsiColor, Style};

/// Done, passed, healthy.
pub(crate) const OK: &str = "✔";
/// Failed, refused, unhealthy.
pub(crate) const FAIL: &str = "✗";
/// In progress, waiting.
pub(crate) const WAIT: &str = "◎";

pub(crate) const GOOD: Style = AnsiColor::Green.on_default();
pub(crate) const BAD: Style = AnsiColor::Red.on_default();
pub(crate) const PENDING: Style = AnsiColor::Yellow.on_default();
pub(crate) const HEADER: Style = Style::new().bold();
pub(crate) const DIM: Style = Style::new().dimmed();

/// `text` in `style` (reset after).
pub(crate) fn paint(style: Style, text: &str) -> String {
    if text.is_empty() || style.is_plain() {
        return text.to_string();
    }
    format!("{}{text}{}", style.render(), style.render_reset())
}

/// `✔ text`, the symbol green.
pub(crate) fn ok(text: &str) -> String {
    format!("{} {text}", paint(GOOD, OK))
}

/// `✗ text`, the symbol red.
pub(crate) fn fail(text: &str) -> String {
    format!("{} {text}", paint(BAD, FAIL))
}

/// `◎ text`, the symbol yellow.
pub(crate) fn waiting(text: &str) -> String {
    format!("{} {text}", paint(PENDING, WAIT))
}

/// A condition status as people scan it: `True` green, `False` red, anything else yellow.
pub(crate) fn condition_status(status: &str) -> String {
    let style = match status {
        "True" => GOOD,
        "False" => BAD,
        _ => PENDING,
    };
    paint(style, status)
}

/// Characters a terminal shows (escape codes take no room).
pub(crate) fn width(text: &str) -> usize {
    anstream::adapter::strip_str(text)
        .to_string()
        .chars()
        .count()
}

/// Without escape codes.
#[cfg(test)]
pub(crate) fn plain(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

/// `warning: ...` on stderr, coloured when stderr is a terminal.
pub(crate) fn eprint_warning(text: &str) {
    anstream::eprintln!("{}", paint(PENDING, &format!("warning: {text}")));
}

/// `note: ...` on stderr.
pub(crate) fn eprint_note(text: &str) {
    anstream::eprintln!("{}", paint(DIM, &format!("note: {text}")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn painted_text_is_the_text_between_escape_codes() {
        let p = paint(GOOD, "True");
        assert_eq!(p, "\u{1b}[32mTrue\u{1b}[0m");
        assert_eq!(plain(&p), "True");
        assert_eq!(width(&p), 4);
        assert_eq!(paint(Style::new(), "x"), "x");
    }

    #[test]
    fn symbols_lead_and_only_they_are_coloured() {
        assert_eq!(plain(&ok("synced")), "✔ synced");
        assert_eq!(plain(&fail("refused")), "✗ refused");
        assert_eq!(plain(&waiting("rolling out")), "◎ rolling out");
        assert!(ok("synced").ends_with(" synced"));
        assert_eq!(width(&ok("ab")), 4);
    }

    #[test]
    fn condition_statuses_have_their_colours() {
        assert!(condition_status("True").starts_with("\u{1b}[32m"));
        assert!(condition_status("False").starts_with("\u{1b}[31m"));
        assert!(condition_status("Unknown").starts_with("\u{1b}[33m"));
    }
}
