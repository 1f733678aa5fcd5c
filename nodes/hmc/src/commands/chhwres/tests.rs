//! Unit tests of chhwres: parsing, and the mapping of the FSP's refusals.

use super::*;

fn parse(s: &str) -> Result<Chhwres, CmdError> {
    Chhwres::parse(&s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
}

fn name(n: &str) -> LparRef {
    LparRef::Name(n.into())
}

#[test]
fn parses_memory_and_processor_changes() {
    assert_eq!(
        parse("-r mem -m sys2 -o m -p aix72a -t lnx01 -q 2048")
            .ok()
            .map(|c| c.change),
        Some(Change::Mem {
            lpar: name("aix72a"),
            op: Op::Move { to: name("lnx01") },
            mb: 2048
        })
    );
    assert_eq!(
        parse("-r proc -m sys2 -o r --id 5 --procunits 0.5")
            .ok()
            .map(|c| c.change),
        Some(Change::Proc {
            lpar: LparRef::Id("5".into()),
            op: Op::Remove,
            procs: None,
            units: Some(0.5)
        })
    );
}

#[test]
fn refuses_bad_dynamic_changes() {
    for bad in [
        "-m sys2 -o a -p a -q 1",
        "-r mem -o a -p a -q 1",
        "-r mem -m sys2 -p a -q 1",
        "-r mem -m sys2 -o a -q 1",
        "-r mem -m sys2 -o a -p a --id 3 -q 1",
        "-r mem -m sys2 -o m -p a -q 1",
        "-r mem -m sys2 -o x -p a -q 1",
        "-r mem -m sys2 -o a -p a",
        "-r mem -m sys2 -o a -p a -q -5",
        "-r proc -m sys2 -o a -p a",
        "-r proc -m sys2 -o a -p a --procs two",
        "-r io -m sys2 -o a -p a",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn builds_the_adapter_in_the_profile_layout() {
    let c = parse("-r virtualio -m s -o a -p a --rsubtype eth -s 7 -a port_vlan_id=10,is_trunk=1,trunk_priority=2")
        .unwrap()
        .change;
    assert_eq!(
        c,
        Change::Adapter {
            lpar: name("a"),
            kind: AdapterKind::Eth,
            slot: 7,
            add: Some("7/0/10//2/0/ETHERNET0//all/none".into())
        }
    );
    let c = parse(
        "-r virtualio -m s -o a -p a --rsubtype fc -s 5 -a remote_lpar_id=1,remote_slot_num=23",
    )
    .unwrap()
    .change;
    let Change::Adapter { add, .. } = c else {
        panic!("an adapter expected");
    };
    assert_eq!(add.as_deref(), Some("5/client/1//23//0"));
    assert_eq!(
        parse("-r virtualio -m s -o r -p a --rsubtype scsi -s 3")
            .unwrap()
            .change,
        Change::Adapter {
            lpar: name("a"),
            kind: AdapterKind::Scsi,
            slot: 3,
            add: None
        }
    );
    for bad in [
        "-r virtualio -m s -o a -p a -s 7",
        "-r virtualio -m s -o a -p a --rsubtype eth",
        "-r virtualio -m s -o a -p a --rsubtype eth -s 7",
        "-r virtualio -m s -o m -p a -t b --rsubtype eth -s 7",
        "-r virtualio -m s -o a -p a --rsubtype hea -s 7 -a port_vlan_id=1",
        "-r virtualio -m s -o a -p a --rsubtype eth -s 7 -a vlan=1",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn parses_reserved_storage_pool_changes() {
    let pool = |s: &str| match parse(s).map(|c| c.change) {
        Ok(Change::Pool(p)) => Ok(p),
        Ok(other) => panic!("a pool change expected: {other:?}"),
        Err(e) => Err(e),
    };
    assert_eq!(
        pool(r#"-r rspool -m sys1 -o a -a vios_names="vios1,vios2""#).ok(),
        Some(PoolChange::AddVioses("vios1,vios2".into()))
    );
    assert_eq!(
        pool("-r rspool -m sys1 -o r").ok(),
        Some(PoolChange::Remove)
    );
    assert_eq!(
        pool("-r rspool -m sys1 -o a -p vios1 --rsubtype rsdev --device hdisk14 --manual").ok(),
        Some(PoolChange::AddDevice {
            vios: name("vios1"),
            device: "hdisk14".into(),
            manual: true
        })
    );
    assert_eq!(
        pool("-r rspool -m sys1 -o r --id 1 --rsubtype rsdev --device hdisk14").ok(),
        Some(PoolChange::RemoveDevice {
            vios: LparRef::Id("1".into()),
            device: "hdisk14".into()
        })
    );
    for bad in [
        "-r rspool -m sys1 -o a",
        "-r rspool -m sys1 -o a -a names=vios1",
        "-r rspool -m sys1 -o a --rsubtype rsdev --device hdisk14",
        "-r rspool -m sys1 -o a -p vios1 --rsubtype rsdev",
        "-r rspool -m sys1 -o a -p vios1 --rsubtype disk --device hdisk14",
        "-r rspool -m sys1 -o m",
    ] {
        assert!(pool(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_refusal_is_read_from_its_typed_reason() {
    use pvmlab_common::failure::with_reason;
    use pvmlab_common::proto::model::Reason;
    let code = tonic::Code::FailedPrecondition;
    let text = |s: tonic::Status| dlpar_refused("aix72a", &s).to_string();
    assert_eq!(
        text(with_reason(
            code,
            "insufficient memory: Obtained - 1 MB, Required - 2 MB",
            Reason::InsufficientMemory
        )),
        "HSCL0622 The partition cannot be activated: insufficient memory: Obtained - 1 MB, Required - 2 MB"
    );
    assert_eq!(
        text(with_reason(
            code,
            "partition aix72a is in state Not Activated, and the operation needs Running",
            Reason::PartitionState
        )),
        "The partition aix72a must be running for a dynamic change: partition aix72a is in state Not Activated, and the operation needs Running."
    );
    assert_eq!(
        text(tonic::Status::invalid_argument(
            "100 MB is not a multiple of the logical memory block size 256 MB"
        )),
        "An error occurred while changing the resources of partition aix72a: 100 MB is not a multiple of the logical memory block size 256 MB."
    );
}

#[test]
fn parses_system_memory_settings() {
    assert_eq!(
        parse("-r mem -m sys1 -o s -a requested_num_sys_huge_pages=1")
            .ok()
            .map(|c| c.change),
        Some(Change::MemSettings(memsys::MemChange {
            huge_pages: Some(1),
            ..Default::default()
        }))
    );
    assert!(parse("-r mem -m sys1 -o s").is_err(), "-a is required");
    assert!(parse("-r mem -m sys1 -o s -a mem_mirroring_mode=full").is_err());
}
