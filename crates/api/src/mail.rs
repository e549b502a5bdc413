//! Outgoing mail: SMTP through lettre when `SMTP_URL` is set, otherwise one file per
//! mail in the outbox directory (dev mode). Logs never carry a mail's body or token.

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::settings::MailSettings;

/// One plain-text mail.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub enum Mailer {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    Outbox(PathBuf),
}

#[derive(Debug, thiserror::Error)]
#[error("mail: {0}")]
pub struct MailError(String);

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> Result<Mailer, MailError> {
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError(format!("SMTP_URL: {e}")))?
                    .build();
                let transport = Box::new(transport);
                let from = settings
                    .from
                    .parse()
                    .map_err(|e| MailError(format!("PARLEY_MAIL_FROM: {e}")))?;
                Ok(Mailer::Smtp { transport, from })
            }
            None => Ok(Mailer::Outbox(settings.outbox_dir.clone())),
        }
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        match self {
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = mail
                    .to
                    .parse()
                    .map_err(|e| MailError(format!("recipient: {e}")))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject)
                    .body(mail.body)
                    .map_err(|e| MailError(e.to_string()))?;
                transport
                    .send(message)
                    .await
                    .map_err(|e| MailError(e.to_string()))?;
                tracing::info!("mail sent over SMTP");
                Ok(())
            }
            Mailer::Outbox(dir) => {
                let name = format!(
                    "{}-{:08x}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
                    rand::random::<u32>()
                );
                let path = dir.join(name);
                let text = format!(
                    "To: {}\nSubject: {}\n\n{}\n",
                    mail.to, mail.subject, mail.body
                );
                let write = {
                    let path = path.clone();
                    let dir = dir.clone();
                    move || {
                        std::fs::create_dir_all(&dir)?;
                        std::fs::write(&path, text)
                    }
                };
                tokio::task::spawn_blocking(write)
                    .await
                    .map_err(|e| MailError(e.to_string()))?
                    .map_err(|e| MailError(format!("outbox {}: {e}", dir.display())))?;
                tracing::info!(path = %path.display(), "mail written to the outbox");
                Ok(())
            }
        }
    }

    /// Sends in the background: a slow or failing mail server never delays the answer.
    pub fn send_later(self: &std::sync::Arc<Self>, mail: Mail) {
        let mailer = self.clone();
        actix_web::rt::spawn(async move {
            if let Err(err) = mailer.send(mail).await {
                tracing::warn!(error = %err, "mail not delivered");
            }
        });
    }
}
