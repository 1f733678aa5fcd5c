//! The Toxiproxy-compatible API driven by toxiproxy-python from PyPI,
//! unmodified (tests/setup.sh installs it; the test skips, saying so,
//! where it is missing): the lab's links are its proxies, toxics become
//! faults on the nodes, a disabled proxy cuts its link, reset clears all.

use pvmlab_tests::{Lab, text};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const API: &str = "127.43.45.200:8474";

/// Runs Python lines after connecting toxiproxy-python to the API.
fn py(code: &str) -> (String, bool) {
    let (host, port) = API.split_once(':').unwrap();
    let prog = format!(
        "from toxiproxy import Toxiproxy\nfrom toxiproxy.exceptions import *\nt = Toxiproxy()\nt.update_api_consumer('{host}', {port})\n{code}\n"
    );
    let out = Command::new("python3")
        .args(["-c", &prog])
        .output()
        .unwrap();
    let mut s = text(&out.stdout);
    s.push_str(&text(&out.stderr));
    (s, out.status.success())
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn toxiproxy_python_drives_the_lab_links() {
    if !py("").1 {
        println!("SKIPPED: toxiproxy-python is not installed (tests/setup.sh installs it)");
        return;
    }
    let lab = Lab::new("127.43.45");
    lab.up();
    let _server = Server(
        Command::new(pvmlab_tests::bin_dir().join("pvmlab"))
            .arg("--lab")
            .arg(lab.lab_dir().root())
            .args(["toxiproxy", "--listen", API])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let t = Instant::now();
    while !py("assert t.running()").1 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the API did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The lab's links are proxies, listen and upstream the two nodes.
    let (out, ok) = py(
        "p = t.proxies()\nprint(len(p), p['sys2-vios1--sys3-vios1'].listen, p['sys2-vios1--sys3-vios1'].upstream, p['hmc1--sys1'].enabled)",
    );
    assert!(ok, "{out}");
    let n: usize = out.split(' ').next().unwrap().parse().unwrap();
    assert!(n > 20, "{out}");
    assert!(
        out.ends_with(" 127.43.45.33:7700 127.43.45.35:7700 True\n"),
        "{out}"
    );

    // A toxic is a fault on the listening node, named after the proxy.
    let (out, ok) = py(
        "p = t.get_proxy('sys2-vios1--sys3-vios1')\np.add_toxic(name='slow', type='latency', stream='upstream', attributes={'latency': 100, 'jitter': 10})\nx = p.toxics()['slow']\nprint(x.type, x.stream, x.attributes['latency'], x.attributes['jitter'])",
    );
    assert!(ok, "{out}");
    assert_eq!(out, "latency upstream 100 10\n");
    let ls = text(&lab.pvmlab(&["fault", "ls", "sys2-vios1"]).stdout);
    assert!(
        ls.contains("sys2-vios1--sys3-vios1.slow") && ls.contains("100 ms ± 10 ms"),
        "{ls}"
    );
    assert!(
        lab.metrics("sys2-vios1")
            .contains("pvmlab_faults_active 1\n")
    );
    // Bad toxics are refused and change nothing.
    for bad in [
        "p.add_toxic(type='warp')",
        "p.add_toxic(type='latency', attributes={'lag': 5})",
        "p.add_toxic(type='latency', stream='sideways', attributes={'latency': 5})",
        "p.add_toxic(name='slow', type='latency', attributes={'latency': 5})",
    ] {
        let (out, ok) = py(&format!(
            "p = t.get_proxy('sys2-vios1--sys3-vios1')\ntry:\n  {bad}\n  print('accepted')\nexcept (InvalidToxic, ProxyExists) as e:\n  print('refused', e)"
        ));
        assert!(ok && out.starts_with("refused"), "{bad}: {out}");
    }
    assert_eq!(
        py("print(len(t.get_proxy('sys2-vios1--sys3-vios1').toxics()))").0,
        "1\n"
    );

    // A disabled proxy is a cut link: hmc1 loses sys1, and gets it back.
    let (out, ok) =
        py("t.get_proxy('hmc1--sys1').disable()\nprint(t.get_proxy('hmc1--sys1').enabled)");
    assert!(ok, "{out}");
    assert_eq!(out, "False\n");
    let state = "lssyscfg -r sys -m sys1 -F state";
    let out = lab.wait_for(state, |s| s == "No Connection\n", 15);
    assert_eq!(out, "No Connection\n");
    assert!(py("t.get_proxy('hmc1--sys1').enable()").1);
    let out = lab.wait_for(state, |s| s == "Operating\n", 15);
    assert_eq!(out, "Operating\n");

    // A proxy between any two nodes can be added, and is listed.
    let (out, ok) = py(
        "p = t.create(name='hmc2-sys2-vios2', listen='hmc2', upstream='127.43.45.34:7700')\nprint(p.listen, p.upstream)\ntry:\n  t.create(name='x', upstream='10.0.0.1:80')\nexcept InvalidToxic as e:\n  print('refused')",
    );
    assert!(ok, "{out}");
    assert_eq!(out, "127.43.45.12:7700 127.43.45.34:7700\nrefused\n");

    // reset: every toxic gone, every proxy enabled.
    assert!(py("t.get_proxy('hmc1--sys2').disable()\nt.reset()").1);
    assert_eq!(py("print(sum(len(p.toxics()) for p in t.proxies().values()), all(p.enabled for p in t.proxies().values()))").0, "0 True\n");
    let ls = text(&lab.pvmlab(&["fault", "ls"]).stdout);
    assert_eq!(ls, "no faults\n");
}
