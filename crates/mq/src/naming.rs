//! Names on the broker: the push topic, gateway tags and consumer groups.
//!
//! Several clusters may share one broker (and one Redis); each cluster's names are derived from
//! its name. The default cluster keeps the plain names: topic `chat-push`, groups
//! `gateway-<tag>`.

/// The cluster name used when none is configured.
pub const DEFAULT_CLUSTER: &str = "chat";

/// The push topic of the default cluster.
pub const PUSH_TOPIC: &str = "chat-push";

/// The topic every push envelope of `cluster` travels on.
pub fn push_topic(cluster: &str) -> String {
    format!("{cluster}-push")
}

/// The consumer group of the gateway holding `tag`: one group per tag, so that each group has
/// exactly one subscription (RocketMQ's subscription-consistency rule).
pub fn consumer_group(cluster: &str, tag: &str) -> String {
    if cluster == DEFAULT_CLUSTER {
        format!("gateway-{tag}")
    } else {
        format!("{cluster}_gateway-{tag}")
    }
}

/// Whether `tag` is a well-formed gateway tag (also a valid RocketMQ tag: no `|| * ` etc.).
pub fn is_gateway_tag(tag: &str) -> bool {
    tag.strip_prefix("gw-")
        .is_some_and(|index| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_topics_follow_the_cluster_and_tag() {
        assert_eq!(consumer_group("chat", "gw-3"), "gateway-gw-3");
        assert_eq!(consumer_group("t1", "gw-3"), "t1_gateway-gw-3");
        assert_eq!(push_topic("chat"), PUSH_TOPIC);
        assert_eq!(push_topic("t1"), "t1-push");
    }

    #[test]
    fn only_gw_number_is_a_gateway_tag() {
        assert!(is_gateway_tag("gw-0"));
        assert!(is_gateway_tag("gw-1024"));
        assert!(!is_gateway_tag("gw-"));
        assert!(!is_gateway_tag("gw-1 || gw-2"));
        assert!(!is_gateway_tag("*"));
    }
}
