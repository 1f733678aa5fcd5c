//! Every gRPC server demands a client certificate from the lab CA, and each
//! RPC names the roles that may call it. Each refusal is also logged.

use pvmlab_common::model::Role;
use pvmlab_common::net::Identity;
use pvmlab_common::pki;
use pvmlab_common::proto::fsp::LogonRequest;
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::hmc::ViewRequest;
use pvmlab_common::proto::hmc::hmc_client::HmcClient;
use pvmlab_tests::Lab;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_foreign_ca_and_wrong_role_are_refused_and_logged() {
    let lab = Lab::new("127.43.2");
    lab.up();
    let fsp = lab.topo.node("sys1").unwrap();
    let logon = || LogonRequest {
        hmc_name: "intruder".into(),
        password: "abc123".into(),
    };

    // 1. Plaintext: the TLS handshake fails, the call never reaches the FSP.
    let plain = tonic::transport::Endpoint::from_shared(format!("http://{}", fsp.endpoint()))
        .unwrap()
        .connect_timeout(Duration::from_secs(2))
        .connect_lazy();
    let e = FspClient::new(plain)
        .logon(logon())
        .await
        .expect_err("plaintext must be refused");
    println!("plaintext: {e}");

    // 2. A certificate from another CA, for a node name that exists.
    let other = tempfile::tempdir().unwrap();
    let p = |f: &str| other.path().join(f);
    pki::make_ca("evil CA", &p("ca.crt"), &p("ca.key")).unwrap();
    pki::issue(
        &p("ca.crt"),
        &p("ca.key"),
        "hmc1",
        Role::Hmc,
        &[],
        &p("hmc1.crt"),
        &p("hmc1.key"),
    )
    .unwrap();
    // It trusts the lab's CA for the server, so only the client side is foreign.
    let foreign = Identity::from_files(
        "hmc1",
        &lab.lab_dir().ca_cert(),
        &p("hmc1.crt"),
        &p("hmc1.key"),
    )
    .unwrap();
    let e = FspClient::new(foreign.channel("sys1", &fsp.endpoint()).unwrap())
        .logon(logon())
        .await
        .expect_err("a foreign CA must be refused");
    println!("foreign CA: {e}");

    // 3. A lab certificate of the wrong role: a VIOS may not log on as an HMC...
    let vios = Identity::load(&lab.lab_dir(), "sys1-vios1").unwrap();
    let e = FspClient::new(vios.channel("sys1", &fsp.endpoint()).unwrap())
        .logon(logon())
        .await
        .expect_err("a VIOS may not call Logon");
    assert_eq!(e.code(), tonic::Code::PermissionDenied, "{e}");
    assert!(
        e.message().contains("role vios") && e.message().contains("allowed roles: hmc"),
        "{e}"
    );
    // ... nor read an HMC's view, which the controller may.
    let hmc = lab.topo.node("hmc1").unwrap();
    let e = HmcClient::new(vios.channel("hmc1", &hmc.endpoint()).unwrap())
        .view(ViewRequest {})
        .await
        .expect_err("a VIOS may not call View");
    assert_eq!(e.code(), tonic::Code::PermissionDenied);
    assert!(lab.view("hmc1").await.is_ok(), "the controller may");

    // Each refusal is in the server's log.
    let fsp_log = lab.log("sys1");
    assert!(
        fsp_log.matches("refused connection").count() >= 2,
        "plaintext and foreign CA logged:\n{fsp_log}"
    );
    assert!(
        fsp_log.contains("refused call: role not allowed") && fsp_log.contains("peer=sys1-vios1"),
        "{fsp_log}"
    );
    assert!(lab.log("hmc1").contains("refused call: role not allowed"));
}
