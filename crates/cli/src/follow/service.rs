//! `sync NAME --watch` as a user service that starts with the session and restarts when it
//! stops (pure: the unit and plist text).

use std::path::Path;

/// A systemd user unit (`~/.config/systemd/user/<name>.service`).
pub(crate) fn systemd(description: &str, exe: &Path, args: &[String]) -> String {
    let command = std::iter::once(quote_systemd(&exe.display().to_string()))
        .chain(args.iter().map(|a| quote_systemd(a)))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "[Unit]\nDescription={description}\nAfter=network-online.target\n\n\
         [Service]\nExecStart={command}\nRestart=always\nRestartSec=10\n\n\
         [Install]\nWantedBy=default.target\n"
    )
}

/// A launchd agent (`~/Library/LaunchAgents/<label>.plist`).
pub(crate) fn launchd(label: &str, exe: &Path, args: &[String]) -> String {
    let arguments: String = std::iter::once(exe.display().to_string())
        .chain(args.iter().cloned())
        .map(|a| format!("    <string>{}</string>\n", xml_escape(&a)))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n<dict>\n  <key>Label</key>\n  <string>{label}</string>\n\
         \x20 <key>ProgramArguments</key>\n  <array>\n{arguments}  </array>\n\
         \x20 <key>RunAtLoad</key>\n  <true/>\n  <key>KeepAlive</key>\n  <true/>\n</dict>\n</plist>\n",
        label = xml_escape(label)
    )
}

/// How to install either, for the `--watch` banner.
pub(crate) fn hint(name: &str, namespace: &str) -> String {
    let base = format!("claude-env sync {name} -n {namespace} --watch");
    format!(
        "run it as a user service:\n  \
         systemd: {base} --print-service systemd > ~/.config/systemd/user/claude-env-{name}.service && systemctl --user enable --now claude-env-{name}\n  \
         launchd: {base} --print-service launchd > ~/Library/LaunchAgents/io.claude-env.{name}.plist && launchctl load ~/Library/LaunchAgents/io.claude-env.{name}.plist"
    )
}

fn quote_systemd(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
    {
        s.to_string()
    } else {
        format!(
            "\"{}\"",
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('%', "%%")
        )
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Vec<String> {
        ["sync", "be-prod", "-n", "team a", "--watch"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn the_systemd_unit_restarts_and_quotes_what_needs_it() {
        let u = systemd(
            "claude-env be-prod",
            Path::new("/usr/bin/claude-env"),
            &args(),
        );
        assert!(
            u.contains("ExecStart=/usr/bin/claude-env sync be-prod -n \"team a\" --watch\n"),
            "{u}"
        );
        assert!(u.contains("Restart=always"));
        assert!(u.contains("WantedBy=default.target"));
    }

    #[test]
    fn the_launchd_agent_keeps_alive_with_each_argument_apart() {
        let p = launchd(
            "io.claude-env.be-prod",
            Path::new("/opt/bin/claude-env"),
            &args(),
        );
        assert!(p.contains("<string>team a</string>"), "{p}");
        assert!(p.contains("<key>KeepAlive</key>\n  <true/>"));
        assert!(p.starts_with("<?xml"));
    }
}
