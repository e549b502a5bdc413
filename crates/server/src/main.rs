//! `parley`: the Parley chat server and its operator commands.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parley_server::{admin, config::Config, serve, telemetry};

mod seed;

#[derive(Parser)]
#[command(name = "parley", version, about = "Parley: a real-time chat server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve HTTP and WebSocket clients (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document as JSON.
    Openapi,
    /// Create an administrator, or promote an existing user. The password comes from
    /// PARLEY_ADMIN_PASSWORD or a line on standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Administer users from the command line, when the HTTP API is not at hand. Each
    /// action is recorded in the audit log.
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
}

/// USER is a username, an email address or a numeric id.
#[derive(Subcommand)]
enum AdminCommand {
    /// End every session of a user and refuse their sign-ins.
    Deactivate { user: String },
    /// Let a deactivated user sign in again.
    Reactivate { user: String },
    /// Make a user an administrator.
    Promote { user: String },
    /// Take administration away from a user.
    Demote { user: String },
    /// Delete a user: anonymised, their messages become tombstones.
    DeleteUser {
        user: String,
        /// Required: deletion cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Print a password-reset link for a user (for deployments without SMTP).
    ResetLink { user: String },
    /// Print everything the server holds about a user, as JSON.
    Export { user: String },
    /// Benchmarks: create users (one shared password hash), rooms, memberships (user i
    /// in room i % ROOMS) and sessions in bulk; write `user_id room_id token` lines.
    Seed {
        #[arg(long)]
        users: usize,
        #[arg(long)]
        rooms: usize,
        #[arg(long, default_value = "seed")]
        prefix: String,
        #[arg(long, default_value = "tokens.txt")]
        out: std::path::PathBuf,
        #[arg(long, default_value_t = 86_400)]
        token_ttl_secs: i64,
    },
}

fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is worth saying.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("parley: .env: {err}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);

    if let Command::Openapi = command {
        return match serde_json::to_string_pretty(&parley_api::openapi::document()) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("parley: {err}");
                ExitCode::FAILURE
            }
        };
    }

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("parley: configuration: {err}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(config.log_format);

    let result = match command {
        Command::Serve => serve::run(config).map_err(|e| e.to_string()),
        Command::Migrate => serve::migrate_only(&config).map_err(|e| e.to_string()),
        Command::CreateAdmin { username, email } => {
            admin::create_admin(&config, &username, &email).map_err(|e| e.to_string())
        }
        Command::Admin {
            action:
                AdminCommand::Seed {
                    users,
                    rooms,
                    prefix,
                    out,
                    token_ttl_secs,
                },
        } => {
            let password = std::env::var("PARLEY_SEED_PASSWORD").ok();
            let spec = seed::SeedSpec {
                users,
                rooms,
                prefix,
                token_ttl_secs,
                password,
            };
            seed::run(&config, &spec, &out).map_err(|e| e.to_string())
        }
        Command::Admin { action } => {
            use admin::UserAction as A;
            let (action, user) = match action {
                AdminCommand::Deactivate { user } => (A::Deactivate, user),
                AdminCommand::Reactivate { user } => (A::Reactivate, user),
                AdminCommand::Promote { user } => (A::Promote, user),
                AdminCommand::Demote { user } => (A::Demote, user),
                AdminCommand::DeleteUser { user, yes } => {
                    if !yes {
                        eprintln!("parley: deleting {user} cannot be undone; add --yes");
                        return ExitCode::FAILURE;
                    }
                    (A::Delete, user)
                }
                AdminCommand::ResetLink { user } => (A::ResetLink, user),
                AdminCommand::Export { user } => (A::Export, user),
                AdminCommand::Seed { .. } => return ExitCode::FAILURE,
            };
            admin::user_action(&config, action, &user).map_err(|e| e.to_string())
        }
        Command::Openapi => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "parley failed");
            eprintln!("parley: {err}");
            ExitCode::FAILURE
        }
    }
}
