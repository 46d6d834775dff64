//! The command line: what to run (`--once`, `--mcp`, or serve HTTP), which workload, and
//! where the configuration file is.

use std::path::PathBuf;
use std::time::Duration;

/// The usage line, printed with every argument error.
pub const USAGE: &str = "usage: session_tracker [--once | --mcp] [--config FILE] [--port N] \
                         [--workload none|fixed|steady] [--interval-ms N]";

/// The default time between two rounds of the steady workload.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(500);

/// What the example records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Workload {
    /// Nothing: every metric is declared, none has a series (what a client sees before the
    /// first session).
    None,
    /// The deterministic ten events of [`crate::workload`], then frozen values: what the
    /// exact-value tests assert.
    Fixed,
    /// The fixed events, then, while serving (HTTP or MCP), a round of
    /// [`crate::steady`] every interval, so rates, quantiles and ratios have data.
    #[default]
    Steady,
}

/// The parsed command line.
#[derive(Debug)]
pub struct Args {
    /// Print the exposition after the workload and exit.
    pub once: bool,
    /// Serve the MCP tools over stdio instead of HTTP.
    pub mcp: bool,
    /// The TOML configuration file.
    pub config: Option<PathBuf>,
    /// Listen on `127.0.0.1` at this port (0: one the OS picks, named on the `serving` line),
    /// whatever the environment or the file say.
    pub port: Option<u16>,
    /// What to record.
    pub workload: Workload,
    /// Time between two steady rounds.
    pub interval: Duration,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            once: false,
            mcp: false,
            config: None,
            port: None,
            workload: Workload::default(),
            interval: DEFAULT_INTERVAL,
        }
    }
}

/// Parses `words` (the arguments after the program name).
pub fn parse(words: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = Args::default();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let mut value = |flag: &str| words.next().ok_or(format!("{flag} needs a value\n{USAGE}"));
        match word.as_str() {
            "--once" => args.once = true,
            "--mcp" => args.mcp = true,
            "--config" => args.config = Some(value("--config")?.into()),
            "--port" => {
                let port = value("--port")?;
                let parsed = port.parse().map_err(|_| {
                    format!("--port takes a port number (0 to 65535), not `{port}`\n{USAGE}")
                })?;
                args.port = Some(parsed);
            }
            "--workload" => {
                args.workload = match value("--workload")?.as_str() {
                    "none" => Workload::None,
                    "fixed" => Workload::Fixed,
                    "steady" => Workload::Steady,
                    other => {
                        return Err(format!("unknown workload `{other}`\n{USAGE}"));
                    }
                };
            }
            "--interval-ms" => {
                let millis = value("--interval-ms")?;
                args.interval = match millis.parse::<u64>() {
                    Ok(0) | Err(_) => {
                        return Err(format!(
                            "--interval-ms takes a whole number of milliseconds above 0, \
                             not `{millis}`\n{USAGE}"
                        ));
                    }
                    Ok(millis) => Duration::from_millis(millis),
                };
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if args.once && args.mcp {
        return Err(format!("--once and --mcp exclude each other\n{USAGE}"));
    }
    Ok(args)
}
