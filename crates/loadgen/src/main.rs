//! `parley-loadgen`: see docs/BENCHMARKS.md.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parley_loadgen::{Scenario, driver};

#[derive(Parser)]
#[command(
    name = "parley-loadgen",
    about = "WebSocket load generator for Parley, and its reference ceiling"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the reference ceiling: in-memory fan-out, no auth, no persistence.
    Ceiling {
        #[arg(long, default_value = "127.0.0.1:9100")]
        bind: String,
        /// Worker threads (Parley's default: one per core).
        #[arg(long)]
        workers: Option<usize>,
        /// Set TCP_NODELAY on accepted sockets (actix leaves Nagle on; Parley sets it, so
        /// comparisons with Parley use this).
        #[arg(long)]
        nodelay: bool,
    },
    /// Run a scenario against Parley (with --tokens) or the ceiling (without).
    Run(Box<RunArgs>),
    /// Soak: clients with reconnect churn across instances for a bounded time, then a
    /// reconciliation against the database (exit status 1 when it fails).
    Soak(Box<SoakArgs>),
    /// Internal: one shard of a multi-process run (scenario in PARLEY_LOADGEN_SCENARIO).
    #[command(hide = true)]
    Shard { index: usize, of: usize },
}

#[derive(clap::Args)]
struct RunArgs {
    /// ws://IP:PORT/ws; repeat to spread sockets over several servers.
    #[arg(long, required = true)]
    url: Vec<String>,
    /// `parley admin seed` output; omit for the ceiling.
    #[arg(long)]
    tokens: Option<PathBuf>,
    #[arg(long, default_value_t = 1000)]
    conns: usize,
    /// Rooms (ceiling only; with --tokens the file decides).
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// In-flight sends per sender (as fast as acks come back).
    #[arg(long, default_value_t = 8)]
    window: usize,
    /// Total messages per second over all senders, instead of a window.
    #[arg(long)]
    rate: Option<f64>,
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    #[arg(long, default_value_t = 15.0)]
    drain: f64,
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
    /// Loopback source addresses: 127.0.0.2 ... 127.0.0.(N+1); 0 lets the kernel pick.
    #[arg(long, default_value_t = 4)]
    sources: usize,
    #[arg(long, default_value_t = 256)]
    connect_concurrency: usize,
    /// Authenticate with an Authorization header on the upgrade instead of a first frame.
    #[arg(long)]
    header_auth: bool,
    /// Cooperating processes (at most ~19,900 sockets each here).
    #[arg(long, default_value_t = 1)]
    procs: usize,
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Server processes to sample (RSS, CPU); repeat for several.
    #[arg(long)]
    server_pid: Vec<u32>,
    /// Seconds between the last connection and the idle memory sample.
    #[arg(long, default_value_t = 2.0)]
    settle: f64,
    #[arg(long, default_value = "run")]
    label: String,
    /// Stated in the report: rate limits, backend, build.
    #[arg(long, default_value = "")]
    note: String,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// A ceiling report of the same run: states the throughput as a ratio to it.
    #[arg(long)]
    ceiling: Option<PathBuf>,
}

#[derive(clap::Args)]
struct SoakArgs {
    /// ws://IP:PORT/ws of an instance; repeat: each reconnect moves to the next one.
    #[arg(long, required = true)]
    url: Vec<String>,
    /// `parley admin seed` output (tokens must outlive the run).
    #[arg(long)]
    tokens: PathBuf,
    #[arg(long, default_value_t = 500)]
    clients: usize,
    /// The first N clients also send.
    #[arg(long, default_value_t = 50)]
    senders: usize,
    /// Total messages per second over all senders.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Seconds of sending with churn.
    #[arg(long, default_value_t = 600.0)]
    duration: f64,
    /// Mean lifetime of a connection, seconds (exponential).
    #[arg(long, default_value_t = 15.0)]
    churn: f64,
    /// Share of connection ends that close cleanly (close frame 1000).
    #[arg(long, default_value_t = 0.2)]
    clean_close: f64,
    /// Share of the abrupt ends that are a TCP reset (the rest: FIN without close frame).
    #[arg(long, default_value_t = 0.5)]
    reset: f64,
    /// Longest pause before reconnecting, milliseconds.
    #[arg(long, default_value_t = 1000)]
    reconnect_delay_ms: u64,
    /// Share of resumes claiming a cursor beyond the server's log (provokes
    /// resync_required, exercising the REST catch-up).
    #[arg(long, default_value_t = 0.02)]
    resync_fraction: f64,
    /// Server processes whose RSS is sampled; repeat for several.
    #[arg(long)]
    server_pid: Vec<u32>,
    /// Seconds between RSS samples and progress lines.
    #[arg(long, default_value_t = 30.0)]
    sample_secs: f64,
    /// Longest wait for the last acknowledgements after sending stops, seconds.
    #[arg(long, default_value_t = 60.0)]
    drain: f64,
    /// Longest wait for the final reconnect and for the final catch-up, seconds each.
    #[arg(long, default_value_t = 60.0)]
    final_timeout: f64,
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
    /// Loopback source addresses: 127.0.0.2 ... 127.0.0.(N+1); 0 lets the kernel pick.
    #[arg(long, default_value_t = 4)]
    sources: usize,
    #[arg(long, default_value_t = 128)]
    connect_concurrency: usize,
    /// Seed of the clients' random choices (lifetimes, delays, how connections end).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Fail when the servers' RSS at the end exceeds the start by more than this (%).
    #[arg(long)]
    max_rss_growth_pct: Option<f64>,
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// No progress lines on stderr.
    #[arg(long)]
    quiet: bool,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn sources(n: usize) -> Vec<IpAddr> {
    (0..n)
        .map(|i| {
            IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                (2 + i) as u8 / 255,
                ((2 + i) % 255) as u8,
            ))
        })
        .collect()
}

fn runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ceiling {
            bind,
            workers,
            nodelay,
        } => {
            let workers = workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            actix_web::rt::System::new()
                .block_on(async move {
                    let (server, addrs) = parley_loadgen::ceiling::server(&bind, workers, nodelay)?;
                    for addr in addrs {
                        eprintln!("ceiling listening on {addr} ({workers} workers)");
                    }
                    server.await
                })
                .map_err(|e| e.to_string())
        }
        Command::Shard { index, of } => (|| {
            let json = std::env::var(driver::SCENARIO_ENV).map_err(|e| e.to_string())?;
            let sc: Scenario = serde_json::from_str(&json).map_err(|e| e.to_string())?;
            runtime(sc.threads)
                .map_err(|e| e.to_string())?
                .block_on(driver::child(sc, index, of))
        })(),
        Command::Run(args) => run(*args),
        Command::Soak(args) => match soak(*args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("parley-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(a: RunArgs) -> Result<(), String> {
    let sources = sources(a.sources);
    let sc = Scenario {
        label: a.label,
        note: a.note,
        urls: a.url,
        tokens: a.tokens,
        conns: a.conns,
        rooms: a.rooms,
        senders: a.senders,
        window: a.window,
        rate: a.rate,
        warmup_secs: a.warmup,
        duration_secs: a.duration,
        drain_secs: a.drain,
        body_bytes: a.body_bytes,
        sources,
        connect_concurrency: a.connect_concurrency,
        header_auth: a.header_auth,
        procs: a.procs,
        threads: a.threads,
        server_pids: a.server_pid,
        settle_secs: a.settle,
    };
    let mut report = runtime(sc.threads)
        .map_err(|e| e.to_string())?
        .block_on(driver::drive(sc))?;
    if let Some(path) = &a.ceiling {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let ceiling: parley_loadgen::Report =
            serde_json::from_str(&text).map_err(|e| e.to_string())?;
        parley_loadgen::compare(&mut report, &ceiling);
    }
    print!("{}", driver::table(&report));
    if let Some(path) = &a.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Runs the soak; answers whether its reconciliation passed.
fn soak(a: SoakArgs) -> Result<bool, String> {
    let cfg = parley_loadgen::soak::SoakConfig {
        urls: a.url,
        tokens: a.tokens,
        clients: a.clients,
        senders: a.senders,
        rate: a.rate,
        duration_secs: a.duration,
        churn_secs: a.churn,
        clean_close: a.clean_close,
        reset: a.reset,
        reconnect_delay_ms: a.reconnect_delay_ms,
        resync_fraction: a.resync_fraction,
        server_pids: a.server_pid,
        sample_secs: a.sample_secs,
        drain_secs: a.drain,
        final_timeout_secs: a.final_timeout,
        body_bytes: a.body_bytes,
        sources: sources(a.sources),
        connect_concurrency: a.connect_concurrency,
        seed: a.seed,
        max_rss_growth_pct: a.max_rss_growth_pct,
        quiet: a.quiet,
    };
    let report = runtime(a.threads)
        .map_err(|e| e.to_string())?
        .block_on(parley_loadgen::soak::run(cfg))?;
    print!("{}", parley_loadgen::soak::summary(&report));
    if let Some(path) = &a.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(report.passed)
}
