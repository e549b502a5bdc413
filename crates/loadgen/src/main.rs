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
        /// Set TCP_NODELAY on accepted sockets (actix, and so Parley, leave Nagle on).
        #[arg(long)]
        nodelay: bool,
    },
    /// Run a scenario against Parley (with --tokens) or the ceiling (without).
    Run(Box<RunArgs>),
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
    let sources = (0..a.sources)
        .map(|i| {
            IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                (2 + i) as u8 / 255,
                ((2 + i) % 255) as u8,
            ))
        })
        .collect();
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
