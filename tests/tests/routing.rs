//! The router, its slot table and the gateways' side of it, on real Redis, routers and gateway
//! processes. Each test runs a private cluster (its own Redis keys and consumer groups), so
//! stopping and killing processes here never disturbs the stack or another test.

use std::collections::BTreeMap;
use std::time::Duration;

use chat_e2e::cluster::{TestCluster, gateway_tag, router_client, table, wait_for_table};
use chat_proto::router::{DeregisterRequest, KeepAliveRequest, RegisterRequest, WatchTableRequest};
use chat_routing::SlotTable;
use tonic::Code;

fn sorted_counts(counts: BTreeMap<&str, usize>) -> Vec<usize> {
    let mut counts: Vec<usize> = counts.into_values().collect();
    counts.sort_unstable();
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_share_the_slots_and_moves_are_minimal() {
    let cluster = TestCluster::new("share");
    let router = cluster.start_router("router", &["--lease-ttl", "6s"]);
    let mut client = router_client(&router).await;

    let g0 = cluster.start_gateway("g0", &router);
    let mut g1 = cluster.start_gateway("g1", &router);
    let mut g2 = cluster.start_gateway("g2", &router);
    let tags: Vec<String> = [&g0, &g1, &g2].iter().map(|g| gateway_tag(g)).collect();
    assert_eq!(
        tags,
        ["gw-0", "gw-1", "gw-2"],
        "the smallest free tags, in order"
    );
    let (three, _) = wait_for_table(&mut client, Duration::from_secs(5), "three gateways", |t| {
        t.gateways().len() == 3
    })
    .await;
    assert_eq!(sorted_counts(three.slot_counts()), [341, 341, 342]);

    // A fourth joins: only its quarter moves, all of it to the newcomer.
    let g3 = cluster.start_gateway("g3", &router);
    assert_eq!(gateway_tag(&g3), "gw-3");
    let (four, _) = wait_for_table(&mut client, Duration::from_secs(5), "four gateways", |t| {
        t.gateways().len() == 4
    })
    .await;
    let moved = three.moved_slots(&four);
    assert_eq!(moved.len(), 256, "exactly the newcomer's share moves");
    assert!(
        moved
            .iter()
            .all(|s| four.owner_of_slot(*s).is_some_and(|g| g.tag == "gw-3"))
    );
    assert!(four.epoch() > three.epoch());

    // A clean stop deregisters: its slots move at once, well before the lease would expire.
    assert!(g1.terminate().success(), "the gateway exits 0 on SIGTERM");
    let (after_stop, took) = wait_for_table(
        &mut client,
        Duration::from_secs(3),
        "gw-1 gone after SIGTERM",
        |t| t.gateways().iter().all(|g| g.tag != "gw-1"),
    )
    .await;
    assert!(took < Duration::from_secs(3), "moved in {took:?}");
    assert_eq!(sorted_counts(after_stop.slot_counts()), [341, 341, 342]);
    let moved = four.moved_slots(&after_stop);
    assert!(
        moved
            .iter()
            .all(|s| four.owner_of_slot(*s).is_some_and(|g| g.tag == "gw-1")),
        "only gw-1's slots move"
    );

    // A crash: the lease expires and the slots move within the TTL plus 2 s.
    g2.kill();
    let (after_kill, took) = wait_for_table(
        &mut client,
        Duration::from_secs(6 + 2),
        "gw-2 gone after kill -9",
        |t| t.gateways().iter().all(|g| g.tag != "gw-2"),
    )
    .await;
    assert!(
        took >= Duration::from_secs(2),
        "a crash is noticed through the lease ({took:?})"
    );
    assert_eq!(sorted_counts(after_kill.slot_counts()), [512, 512]);
    let moved = after_stop.moved_slots(&after_kill);
    assert!(moved.iter().all(|s| {
        after_stop
            .owner_of_slot(*s)
            .is_some_and(|g| g.tag == "gw-2")
    }));
    drop((g0, g3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_router_keeps_the_table_and_its_epoch() {
    let cluster = TestCluster::new("restart");
    let mut router = cluster.start_router("router", &[]);
    let _gateways = [
        cluster.start_gateway("g0", &router),
        cluster.start_gateway("g1", &router),
    ];
    let mut client = router_client(&router).await;
    let (before, _) = wait_for_table(&mut client, Duration::from_secs(5), "two gateways", |t| {
        t.gateways().len() == 2
    })
    .await;

    let addrs = [
        router.grpc.clone(),
        router.http.clone(),
        router.metrics.clone(),
    ];
    assert!(router.terminate().success());
    let router = cluster.start_router_at("router-again", addrs, &[]);
    let mut client = router_client(&router).await;
    let after = table(&mut client).await;
    assert_eq!(after.epoch(), before.epoch(), "same epoch");
    assert_eq!(after, before, "same assignment");
    // And it stays so: the gateways' leases carry over, nothing is rebalanced.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(table(&mut client).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_router_takes_over_and_the_epoch_keeps_increasing() {
    let cluster = TestCluster::new("standby");
    let mut leader = cluster.start_router("router-a", &[]);
    let standby = cluster.start_router("router-b", &[]);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        leader.metric("chat_router_leader"),
        1.0,
        "the first router leads"
    );
    assert_eq!(
        standby.metric("chat_router_leader"),
        0.0,
        "the second stands by"
    );

    // A gateway registering through the standby is still put in the table (by the leader).
    let _g0 = cluster.start_gateway("g0", &standby);
    let mut client = router_client(&standby).await;
    let (first, _) = wait_for_table(&mut client, Duration::from_secs(5), "one gateway", |t| {
        t.gateways().len() == 1
    })
    .await;

    leader.kill();
    let _g1 = cluster.start_gateway("g1", &standby);
    // The leader lease (3 s) must lapse before the standby may publish.
    let (second, _) = wait_for_table(&mut client, Duration::from_secs(10), "takeover", |t| {
        t.gateways().len() == 2
    })
    .await;
    assert!(
        second.epoch() > first.epoch(),
        "{} > {}",
        second.epoch(),
        first.epoch()
    );
    assert_eq!(
        standby.metric("chat_router_leader"),
        1.0,
        "the standby leads now"
    );
    assert_eq!(sorted_counts(second.slot_counts()), [512, 512]);
}

/// Which slots each tag owns.
fn owners(table: &SlotTable) -> BTreeMap<String, Vec<u32>> {
    table
        .gateways()
        .iter()
        .map(|gateway| (gateway.tag.clone(), table.slots_of(&gateway.tag)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_lost_the_leases_and_the_table_gets_the_same_table_back() {
    let cluster = TestCluster::new("lost");
    let router = cluster.start_router("router", &["--lease-ttl", "3s"]);
    let mut client = router_client(&router).await;
    let gateways = [
        cluster.start_gateway("g0", &router),
        cluster.start_gateway("g1", &router),
        cluster.start_gateway("g2", &router),
    ];
    let tags: Vec<String> = gateways.iter().map(gateway_tag).collect();
    let (before, _) = wait_for_table(&mut client, Duration::from_secs(5), "three gateways", |t| {
        t.gateways().len() == 3
    })
    .await;
    let mut stream = client
        .watch_table(WatchTableRequest {
            after_epoch: before.epoch(),
        })
        .await
        .expect("WatchTable")
        .into_inner();

    // What a FLUSHALL does to this cluster: every lease, the leader lease and the table gone.
    let deleted = chat_e2e::redis::delete_matching(&cluster.stack, &format!("{}:*", cluster.name));
    assert!(deleted >= 5, "the cluster's keys were there ({deleted})");

    // Every table published over the next two lease periods keeps every slot where it was:
    // the router republishes the table it knew, and the gateways register again under their
    // own tags instead of whichever tag was free first.
    let mut published = Vec::new();
    let watching = tokio::time::sleep(Duration::from_secs(6));
    tokio::pin!(watching);
    loop {
        tokio::select! {
            next = stream.message() => match next.expect("the table stream") {
                Some(wire) => published.push(SlotTable::from_proto(&wire).expect("a table")),
                None => break,
            },
            _ = &mut watching => break,
        }
    }
    assert!(
        !published.is_empty(),
        "the router published the table again after losing it"
    );
    for table in &published {
        assert!(table.epoch() > before.epoch(), "epochs never go back");
        assert_eq!(
            owners(table),
            owners(&before),
            "epoch {}: no slot moved",
            table.epoch()
        );
    }
    let after: Vec<String> = gateways.iter().map(gateway_tag).collect();
    assert_eq!(after, tags, "every gateway kept its tag");
    let stored = chat_e2e::redis::command(
        &cluster.stack,
        &["EXISTS", &format!("{}:router:lease:gw-0", cluster.name)],
    );
    assert_eq!(stored, ":1", "the leases are back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_asks_for_its_old_tag_back() {
    let cluster = TestCluster::new("prefer");
    let router = cluster.start_router("router", &[]);
    let mut client = router_client(&router).await;
    let register = |instance: &str, preferred: &str| RegisterRequest {
        ws_addr: "127.0.0.1:9".into(),
        instance_id: instance.into(),
        preferred_tag: preferred.into(),
    };
    let first = client.register(register("a", "gw-7")).await.expect("free");
    assert_eq!(first.into_inner().tag, "gw-7", "a free tag is given back");
    let second = client.register(register("b", "gw-7")).await.expect("taken");
    assert_eq!(
        second.into_inner().tag,
        "gw-0",
        "a held tag is not: the smallest free one instead"
    );
    let again = client.register(register("a", "gw-3")).await.expect("mine");
    assert_eq!(again.into_inner().tag, "gw-7", "its own lease comes first");
    for bad in ["gw-256", "gw-07", "x"] {
        let status = client
            .register(register("c", bad))
            .await
            .expect_err("not a tag this router hands out");
        assert_eq!(status.code(), Code::InvalidArgument, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_gets_clear_errors() {
    let cluster = TestCluster::new("garbage");
    let router = cluster.start_router("router", &[]);
    let mut client = router_client(&router).await;

    for (ws_addr, instance_id) in [
        ("", "i"),
        ("nonsense", "i"),
        ("127.0.0.1:0", "i"),
        ("127.0.0.1:80", ""),
        ("127.0.0.1:80", "a|b"),
    ] {
        let status = client
            .register(RegisterRequest {
                ws_addr: ws_addr.into(),
                instance_id: instance_id.into(),
                ..RegisterRequest::default()
            })
            .await
            .expect_err("a malformed registration is refused");
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{ws_addr:?}/{instance_id:?}: {status:?}"
        );
        assert!(!status.message().is_empty());
    }
    let status = client
        .keep_alive(KeepAliveRequest {
            tag: "gw-77".into(),
            instance_id: "nobody".into(),
        })
        .await
        .expect_err("no lease");
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .keep_alive(KeepAliveRequest {
            tag: "gateway seven".into(),
            instance_id: "x".into(),
        })
        .await
        .expect_err("not a tag");
    assert_eq!(status.code(), Code::InvalidArgument);

    // Someone else's lease can be neither renewed nor released.
    let mine = client
        .register(RegisterRequest {
            ws_addr: "127.0.0.1:9".into(),
            instance_id: "owner".into(),
            ..RegisterRequest::default()
        })
        .await
        .expect("register")
        .into_inner();
    let status = client
        .deregister(DeregisterRequest {
            tag: mine.tag.clone(),
            instance_id: "intruder".into(),
        })
        .await
        .expect_err("not the holder");
    assert_eq!(status.code(), Code::NotFound);
    // A retried registration of the same instance returns the same tag.
    let again = client
        .register(RegisterRequest {
            ws_addr: "127.0.0.1:9".into(),
            instance_id: "owner".into(),
            ..RegisterRequest::default()
        })
        .await
        .expect("register again")
        .into_inner();
    assert_eq!(again.tag, mine.tag);
    client
        .deregister(DeregisterRequest {
            tag: mine.tag,
            instance_id: "owner".into(),
        })
        .await
        .expect("the holder may release");
}
