//! The driver: starts the shards (in this process or as cooperating child processes),
//! lines them up, samples the servers, and merges what they saw into one report.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::oneshot;

use crate::hist::Hist;
use crate::procfs;
use crate::scenario::{Scenario, SetupStats, ShardResult, Timing, now_us, plan, run_shard};

/// Environment variable carrying the scenario to child processes.
pub const SCENARIO_ENV: &str = "PARLEY_LOADGEN_SCENARIO";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    pub samples: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(h: &Hist) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            samples: h.count(),
            p50_ms: ms(h.quantile(0.50)),
            p95_ms: ms(h.quantile(0.95)),
            p99_ms: ms(h.quantile(0.99)),
            p999_ms: ms(h.quantile(0.999)),
            max_ms: ms(h.max),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub label: String,
    pub note: String,
    pub urls: Vec<String>,
    pub mode: String,
    pub conns: usize,
    pub rooms: usize,
    pub senders: usize,
    pub duration_secs: f64,
    pub procs: usize,
    pub threads: usize,
    pub sources: usize,
    pub connected: usize,
    pub connect_failed: usize,
    pub setup_secs: f64,
    pub setup_per_sec: f64,
    pub setup_latency: Latency,
    pub sent: u64,
    pub acked: u64,
    pub send_failed: u64,
    pub unacked: u64,
    pub msgs_per_sec: f64,
    pub deliveries_per_sec: f64,
    /// Members per message (the fan-out) as planned.
    pub fanout: f64,
    pub latency: Latency,
    pub ack_latency: Latency,
    pub expected_deliveries: u64,
    pub deliveries: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub disconnects: u64,
    pub errors: BTreeMap<String, u64>,
    pub server_rss_before_kib: u64,
    pub server_rss_idle_kib: u64,
    pub server_rss_after_kib: u64,
    /// (idle RSS - RSS before connecting) / connected sockets.
    pub server_bytes_per_socket: f64,
    pub server_cpu_pct: f64,
    pub loadgen_cpu_pct: f64,
    /// Set when compared with a ceiling report: this run's deliveries/s over its.
    pub ratio_to_ceiling: Option<f64>,
    pub ceiling_deliveries_per_sec: Option<f64>,
}

#[allow(clippy::large_enum_variant)] // a handful, once per run
enum Shard {
    Local(
        tokio::task::JoinHandle<Result<ShardResult, String>>,
        oneshot::Sender<Timing>,
    ),
    Child(
        tokio::process::Child,
        tokio::process::ChildStdin,
        tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    ),
}

fn server_rss(sc: &Scenario) -> u64 {
    sc.server_pids.iter().map(|p| procfs::rss_kib(*p)).sum()
}

fn server_cpu(sc: &Scenario) -> u64 {
    sc.server_pids
        .iter()
        .map(|p| procfs::cpu_ticks(Some(*p)))
        .sum()
}

async fn child_line(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    tag: &str,
) -> Result<String, String> {
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        if let Some(rest) = line.strip_prefix(tag) {
            return Ok(rest.trim().to_owned());
        }
    }
    Err(format!("a child process ended before {tag}"))
}

/// Runs the scenario and answers the merged report.
pub async fn drive(sc: Scenario) -> Result<Report, String> {
    drive_with(sc, None).await
}

/// As [`drive`], with child processes started from `exe` (default: this executable).
pub async fn drive_with(sc: Scenario, exe: Option<std::path::PathBuf>) -> Result<Report, String> {
    let members = plan(&sc)?;
    let rss_before = server_rss(&sc);
    let procs = sc.procs.max(1);
    let mut shards = Vec::new();
    let mut setups: Vec<SetupStats> = Vec::new();
    if procs == 1 {
        let (ready_tx, ready_rx) = oneshot::channel();
        let (go_tx, go_rx) = oneshot::channel();
        let task = tokio::spawn(run_shard(sc.clone(), 0, 1, ready_tx, go_rx));
        match ready_rx.await {
            Ok(setup) => setups.push(setup),
            Err(_) => {
                return Err(task
                    .await
                    .map_err(|e| e.to_string())?
                    .err()
                    .unwrap_or_default());
            }
        }
        shards.push(Shard::Local(task, go_tx));
    } else {
        let exe = match exe {
            Some(exe) => exe,
            None => std::env::current_exe().map_err(|e| e.to_string())?,
        };
        let json = serde_json::to_string(&sc).map_err(|e| e.to_string())?;
        for i in 0..procs {
            let mut child = tokio::process::Command::new(&exe)
                .arg("shard")
                .arg(i.to_string())
                .arg(procs.to_string())
                .env(SCENARIO_ENV, &json)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("starting a child: {e}"))?;
            let stdin = child.stdin.take().ok_or("no stdin")?;
            let stdout = child.stdout.take().ok_or("no stdout")?;
            shards.push(Shard::Child(child, stdin, BufReader::new(stdout).lines()));
        }
        for shard in &mut shards {
            if let Shard::Child(_, _, lines) = shard {
                let line = child_line(lines, "READY").await?;
                setups.push(serde_json::from_str(&line).map_err(|e| e.to_string())?);
            }
        }
    }
    tokio::time::sleep(Duration::from_secs_f64(sc.settle_secs)).await;
    let rss_idle = server_rss(&sc);

    let start_us = now_us() + 200_000;
    let window_us = start_us + (sc.warmup_secs * 1e6) as u64;
    let timing = Timing {
        start_us,
        window_us,
        end_us: window_us + (sc.duration_secs * 1e6) as u64,
    };
    let mut locals = Vec::new();
    let mut children = Vec::new();
    for shard in shards {
        match shard {
            Shard::Local(task, go) => {
                let _ = go.send(timing);
                locals.push(task);
            }
            Shard::Child(child, mut stdin, lines) => {
                let line = format!(
                    "GO {}\n",
                    serde_json::to_string(&timing).map_err(|e| e.to_string())?
                );
                stdin
                    .write_all(line.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                stdin.flush().await.map_err(|e| e.to_string())?;
                children.push((child, stdin, lines));
            }
        }
    }
    let sample = tokio::spawn({
        let sc = sc.clone();
        async move {
            let wait = |at: u64| Duration::from_micros(at.saturating_sub(now_us()));
            tokio::time::sleep(wait(timing.window_us)).await;
            let a = server_cpu(&sc);
            tokio::time::sleep(wait(timing.end_us)).await;
            server_cpu(&sc).saturating_sub(a)
        }
    });
    let mut results = Vec::new();
    for task in locals {
        results.push(task.await.map_err(|e| e.to_string())??);
    }
    for (mut child, stdin, mut lines) in children {
        let line = child_line(&mut lines, "RESULT").await?;
        results.push(serde_json::from_str(&line).map_err(|e| e.to_string())?);
        drop(stdin);
        let _ = child.wait().await;
    }
    let server_ticks = sample.await.unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_after = server_rss(&sc);

    // Merge.
    let mut report = Report {
        label: sc.label.clone(),
        note: sc.note.clone(),
        urls: sc.urls.clone(),
        mode: match sc.rate {
            Some(rate) => format!("fixed rate {rate} msg/s"),
            None => format!("window {} in flight per sender", sc.window),
        },
        conns: sc.conns,
        senders: sc.senders.min(sc.conns),
        duration_secs: sc.duration_secs,
        procs,
        threads: sc.threads,
        sources: sc.sources.len(),
        server_rss_before_kib: rss_before,
        server_rss_idle_kib: rss_idle,
        server_rss_after_kib: rss_after,
        ..Report::default()
    };
    let mut rooms: HashMap<i64, u64> = HashMap::new();
    for m in &members {
        *rooms.entry(m.room).or_default() += 1;
    }
    report.rooms = rooms.len();
    let (mut first, mut last) = (u64::MAX, 0);
    let mut setup_hist = Hist::default();
    for s in &setups {
        report.connected += s.connected;
        report.connect_failed += s.failed;
        first = first.min(s.first_us);
        last = last.max(s.last_us);
        setup_hist.merge(&s.setup);
        for (k, v) in &s.errors {
            *report.errors.entry(k.clone()).or_default() += v;
        }
    }
    report.setup_secs = last.saturating_sub(first) as f64 / 1e6;
    report.setup_per_sec = report.connected as f64 / report.setup_secs.max(1e-9);
    report.setup_latency = Latency::of(&setup_hist);

    let mut latency = Hist::default();
    let mut ack_latency = Hist::default();
    let mut acked: HashMap<u32, u64> = HashMap::new();
    let mut cpu_ticks = 0;
    let mut deliveries_window = 0;
    let mut acks_window = 0;
    for r in &results {
        latency.merge(&r.latency);
        ack_latency.merge(&r.ack_latency);
        deliveries_window += r.deliveries_window;
        acks_window += r.acks_window;
        report.deliveries += r.deliveries_total;
        report.disconnects += r.disconnects;
        cpu_ticks += r.cpu_ticks_window;
        for (k, v) in &r.errors {
            *report.errors.entry(k.clone()).or_default() += v;
        }
        for s in &r.senders {
            report.sent += s.sent;
            report.acked += s.acked;
            report.send_failed += s.failed;
            acked.insert(s.index, s.acked);
        }
    }
    report.unacked = report.sent - report.acked - report.send_failed;
    // Every connected member of a sender's room must see each of its acked messages once.
    let mut members_by_room: HashMap<i64, u64> = HashMap::new();
    for r in &results {
        for (idx, _) in &r.receivers {
            *members_by_room
                .entry(members[*idx as usize].room)
                .or_default() += 1;
        }
    }
    for (sender, n) in &acked {
        let room = members[*sender as usize].room;
        report.expected_deliveries += n * members_by_room.get(&room).copied().unwrap_or(0);
    }
    for r in &results {
        for (idx, seen) in &r.receivers {
            let room = members[*idx as usize].room;
            for (sender, n) in &acked {
                if members[*sender as usize].room != room {
                    continue;
                }
                let got = seen
                    .iter()
                    .find(|s| s.sender == *sender)
                    .map_or(0, |s| s.distinct);
                report.lost += n.saturating_sub(got);
            }
            report.duplicated += seen.iter().map(|s| s.dups).sum::<u64>();
        }
    }
    let senders_rooms: Vec<i64> = acked.keys().map(|s| members[*s as usize].room).collect();
    report.fanout = if senders_rooms.is_empty() {
        0.0
    } else {
        senders_rooms.iter().map(|r| rooms[r] as f64).sum::<f64>() / senders_rooms.len() as f64
    };
    let secs = sc.duration_secs.max(1e-9);
    report.msgs_per_sec = acks_window as f64 / secs;
    report.deliveries_per_sec = deliveries_window as f64 / secs;
    report.latency = Latency::of(&latency);
    report.ack_latency = Latency::of(&ack_latency);
    report.server_cpu_pct = 100.0 * server_ticks as f64 / procfs::TICKS_PER_SEC / secs;
    report.loadgen_cpu_pct = 100.0 * cpu_ticks as f64 / procfs::TICKS_PER_SEC / secs;
    if report.connected > 0 && rss_idle > rss_before {
        report.server_bytes_per_socket =
            (rss_idle - rss_before) as f64 * 1024.0 / report.connected as f64;
    }
    Ok(report)
}

/// A child process: one shard, lined up with the driver over stdin/stdout.
pub async fn child(sc: Scenario, shard: usize, shards: usize) -> Result<(), String> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let (go_tx, go_rx) = oneshot::channel();
    let task = tokio::spawn(run_shard(sc, shard, shards, ready_tx, go_rx));
    let setup = match ready_rx.await {
        Ok(setup) => setup,
        Err(_) => {
            return Err(task
                .await
                .map_err(|e| e.to_string())?
                .err()
                .unwrap_or_default());
        }
    };
    let mut stdout = tokio::io::stdout();
    let line = format!(
        "READY {}\n",
        serde_json::to_string(&setup).map_err(|e| e.to_string())?
    );
    stdout
        .write_all(line.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stdout.flush().await.map_err(|e| e.to_string())?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let timing: Timing = loop {
        let line = lines
            .next_line()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the driver went away")?;
        if let Some(rest) = line.strip_prefix("GO") {
            break serde_json::from_str(rest.trim()).map_err(|e| e.to_string())?;
        }
    };
    let _ = go_tx.send(timing);
    let result = task.await.map_err(|e| e.to_string())??;
    let line = format!(
        "RESULT {}\n",
        serde_json::to_string(&result).map_err(|e| e.to_string())?
    );
    stdout
        .write_all(line.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stdout.flush().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// States this report's throughput as a ratio to a ceiling report's.
pub fn compare(report: &mut Report, ceiling: &Report) {
    report.ceiling_deliveries_per_sec = Some(ceiling.deliveries_per_sec);
    if ceiling.deliveries_per_sec > 0.0 {
        report.ratio_to_ceiling = Some(report.deliveries_per_sec / ceiling.deliveries_per_sec);
    }
}

/// The readable table.
pub fn table(r: &Report) -> String {
    let mut s = String::new();
    let mut row = |k: &str, v: String| s.push_str(&format!("  {k:<28} {v}\n"));
    row("scenario", format!("{} ({})", r.label, r.note));
    row("target", r.urls.join(", "));
    row(
        "shape",
        format!(
            "{} sockets / {} rooms, {} senders, {}, {} s",
            r.conns, r.rooms, r.senders, r.mode, r.duration_secs
        ),
    );
    row(
        "generator",
        format!(
            "{} process(es) x {} threads, {} source address(es)",
            r.procs,
            r.threads,
            r.sources.max(1)
        ),
    );
    row(
        "connections",
        format!(
            "{} up, {} failed in {:.2} s = {:.0}/s (setup p50 {:.1} ms, p99 {:.1} ms)",
            r.connected,
            r.connect_failed,
            r.setup_secs,
            r.setup_per_sec,
            r.setup_latency.p50_ms,
            r.setup_latency.p99_ms
        ),
    );
    row("messages sent/s (acked)", format!("{:.0}", r.msgs_per_sec));
    row(
        "deliveries/s",
        format!("{:.0} (fan-out {:.0})", r.deliveries_per_sec, r.fanout),
    );
    if let (Some(ratio), Some(c)) = (r.ratio_to_ceiling, r.ceiling_deliveries_per_sec) {
        row(
            "ratio to ceiling",
            format!("{ratio:.2} (ceiling {c:.0} deliveries/s)"),
        );
    }
    let l = &r.latency;
    row(
        "end-to-end latency ms",
        format!(
            "p50 {:.2}  p95 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  ({} samples)",
            l.p50_ms, l.p95_ms, l.p99_ms, l.p999_ms, l.max_ms, l.samples
        ),
    );
    let a = &r.ack_latency;
    row(
        "ack latency ms",
        format!(
            "p50 {:.2}  p99 {:.2}  max {:.2}",
            a.p50_ms, a.p99_ms, a.max_ms
        ),
    );
    row(
        "delivery check",
        format!(
            "{} expected, {} delivered, {} lost, {} duplicated; sent {} acked {} failed {} unacked {}",
            r.expected_deliveries,
            r.deliveries,
            r.lost,
            r.duplicated,
            r.sent,
            r.acked,
            r.send_failed,
            r.unacked
        ),
    );
    row(
        "disconnects / errors",
        format!("{} / {:?}", r.disconnects, r.errors),
    );
    row(
        "server RSS KiB",
        format!(
            "before {} idle {} after {} ({:.0} bytes per socket)",
            r.server_rss_before_kib,
            r.server_rss_idle_kib,
            r.server_rss_after_kib,
            r.server_bytes_per_socket
        ),
    );
    row(
        "CPU % (window)",
        format!(
            "server {:.0}, load generator {:.0}",
            r.server_cpu_pct, r.loadgen_cpu_pct
        ),
    );
    s
}
