//! `parley admin seed`: the users, rooms, memberships and sessions it reports exist,
//! and its tokens open sockets that send and receive in the seeded rooms.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};

use common::{Instance, connect, free_port, next_message, wait_healthy};
use futures_util::SinkExt;
use parley_store::Backend;
use parley_store::repo::{members, rooms, users};
use parley_store::testing::TestDb;
use serde_json::json;

fn parley(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parley"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("PARLEY_RATE_LIMITS", "off")
        .current_dir(std::env::temp_dir());
    cmd
}

async fn seeds_what_it_says(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tokens.txt");
    let run = parley(&db.url)
        .args([
            "admin", "seed", "--users", "25", "--rooms", "4", "--prefix", "sd_",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("seeded 25 users, 4 rooms, 25 memberships, 25 sessions"),
        "{stdout}"
    );

    let lines: Vec<(i64, i64, String)> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let p: Vec<&str> = l.split(' ').collect();
            (
                p[0].parse().unwrap(),
                p[1].parse().unwrap(),
                p[2].to_owned(),
            )
        })
        .collect();
    assert_eq!(lines.len(), 25);
    let room_ids: HashSet<i64> = lines.iter().map(|l| l.1).collect();
    assert_eq!(room_ids.len(), 4);

    let pool = db.pool(2);
    let mut conn = pool.get().unwrap();
    let mut per_room: HashMap<i64, usize> = HashMap::new();
    for (i, (user_id, room_id, _)) in lines.iter().enumerate() {
        let user = users::find_by_username(&mut conn, &format!("sd_{i:02}"))
            .unwrap()
            .expect("seeded user");
        assert_eq!(user.id, *user_id);
        assert!(user.is_active && !user.is_admin);
        let member = members::find(&mut conn, *room_id, *user_id)
            .unwrap()
            .expect("membership");
        assert_eq!(member.role, if i < 4 { "owner" } else { "member" });
        *per_room.entry(*room_id).or_default() += 1;
    }
    for (room_id, n) in per_room {
        assert_eq!(members::user_ids(&mut conn, room_id).unwrap().len(), n);
        let room = rooms::find(&mut conn, room_id).unwrap();
        assert_eq!((room.kind.as_str(), room.last_seq), ("group", 0));
    }
    drop(conn);

    // The same prefix again is refused, and nothing is half-written.
    let again = parley(&db.url)
        .args([
            "admin", "seed", "--users", "25", "--rooms", "1", "--prefix", "sd_",
        ])
        .arg("--out")
        .arg(dir.path().join("again.txt"))
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exist"));

    // The tokens work: two members of one room talk over sockets.
    let port = free_port();
    let _server = Instance {
        child: parley(&db.url)
            .arg("serve")
            .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        port,
    };
    wait_healthy(port).await;
    let (a, b) = (&lines[0], &lines[4]);
    assert_eq!(a.1, b.1, "users 0 and 4 share room 0 of 4");
    let mut wa = connect(port, json!({"type": "auth", "token": a.2})).await;
    let mut wb = connect(port, json!({"type": "auth", "token": b.2})).await;
    let send =
        json!({"type": "message.send", "room_id": a.1, "body": "hello", "client_msg_id": "s1"});
    wa.send(awc::ws::Message::Text(send.to_string().into()))
        .await
        .unwrap();
    let got = next_message(&mut wb).await;
    assert_eq!(got["message"]["body"], "hello");
    assert_eq!(got["message"]["author"]["id"], a.0);
}

mod seeds_what_it_says {
    #[actix_web::test]
    async fn sqlite() {
        super::seeds_what_it_says(parley_store::Backend::Sqlite).await;
    }
    #[actix_web::test]
    async fn postgres() {
        super::seeds_what_it_says(parley_store::Backend::Postgres).await;
    }
}
