//! Topic administration with timeouts: a broker that cannot create a topic is
//! an error within the timeout, never a hang.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;

/// Topics through the Kafka admin API (every broker but the embedded mock,
/// which has no CreateTopics).
pub struct Admin {
    admin: AdminClient<DefaultClientContext>,
    timeout: Duration,
    bootstrap: String,
}

impl Admin {
    pub fn connect(bootstrap: &str, timeout: Duration) -> anyhow::Result<Admin> {
        let admin = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("log_level", "3")
            .create()
            .with_context(|| format!("creating a Kafka admin client for {bootstrap}"))?;
        Ok(Admin {
            admin,
            timeout,
            bootstrap: bootstrap.to_string(),
        })
    }

    fn options(&self) -> AdminOptions {
        AdminOptions::new()
            .request_timeout(Some(self.timeout))
            .operation_timeout(Some(self.timeout))
    }

    pub fn create(&self, name: &str, partitions: i32) -> anyhow::Result<()> {
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        let results =
            futures::executor::block_on(self.admin.create_topics(&[topic], &self.options()))
                .with_context(|| {
                    format!(
                        "creating topic {name} on {} (is the broker up?)",
                        self.bootstrap
                    )
                })?;
        for r in results {
            if let Err((topic, code)) = r {
                bail!("the broker at {} refused to create topic {topic} with {partitions} partitions: {code}", self.bootstrap);
            }
        }
        Ok(())
    }

    /// Best effort: frees the broker's memory between runs.
    pub fn delete(&self, names: &[&str]) {
        if let Err(e) =
            futures::executor::block_on(self.admin.delete_topics(names, &self.options()))
        {
            tracing::debug!(?names, error = %e, "could not delete topics");
        }
    }
}

/// A topic name no other run uses.
pub fn unique_name(scenario: &str, role: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("tokio-tax.{scenario}.{role}.{}.{nanos}", std::process::id())
}
