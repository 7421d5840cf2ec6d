//! A session's settings back as configuration keys, defaults resolved:
//! what `ringfix config check` prints and the settings table's defaults.

use std::path::Path;

use super::settings::{multiplier_text, ErrorAction, ReactorMode, Role, SessionSettings};
use super::tls::{suite_name, TlsVersion};
use ringfix_codec::TimePrecision;

fn yn(b: bool) -> String {
    if b { "Y" } else { "N" }.to_owned()
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

impl SessionSettings {
    /// Every setting in effect, as `(key, value)` in the order of the
    /// settings table; optional keys that are unset are left out.
    pub fn effective(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut put = |key: &str, value: String| out.push((key.to_owned(), value));
        let id = &self.id;
        put(
            "ConnectionType",
            match self.role {
                Role::Initiator => "initiator",
                Role::Acceptor => "acceptor",
            }
            .to_owned(),
        );
        put("BeginString", id.begin_string.clone());
        put("SenderCompID", id.sender_comp_id.clone());
        let optional = [
            ("SenderSubID", &id.sender_sub_id),
            ("SenderLocationID", &id.sender_location_id),
        ];
        for (key, v) in optional {
            if let Some(v) = v {
                put(key, v.clone());
            }
        }
        put("TargetCompID", id.target_comp_id.clone());
        let optional = [
            ("TargetSubID", &id.target_sub_id),
            ("TargetLocationID", &id.target_location_id),
            ("SessionQualifier", &id.qualifier),
        ];
        for (key, v) in optional {
            if let Some(v) = v {
                put(key, v.clone());
            }
        }
        if let Some(v) = self.dictionaries.default_appl_ver_id {
            put("DefaultApplVerID", v.name().to_owned());
        }

        let n = &self.network;
        for (i, hp) in n.connect.iter().enumerate() {
            let suffix = if i == 0 { String::new() } else { i.to_string() };
            put(&format!("SocketConnectHost{suffix}"), hp.host.clone());
            put(&format!("SocketConnectPort{suffix}"), hp.port.to_string());
        }
        if let Some(h) = &n.accept_host {
            put("SocketAcceptHost", h.clone());
        }
        if let Some(p) = n.accept_port {
            put("SocketAcceptPort", p.to_string());
        }
        put("SocketReuseAddress", yn(n.reuse_address));
        put("SocketNodelay", yn(n.nodelay));
        if self.role == Role::Acceptor {
            put(
                "SocketAcceptRetryTimeout",
                n.accept_retry_timeout.as_secs().to_string(),
            );
        }
        for (i, source) in n.connect_source.iter().enumerate() {
            let Some(source) = source else { continue };
            let suffix = if i == 0 { String::new() } else { i.to_string() };
            if let Some(host) = &source.host {
                put(&format!("SocketConnectSourceHost{suffix}"), host.clone());
            }
            put(
                &format!("SocketConnectSourcePort{suffix}"),
                source.port.to_string(),
            );
        }
        if let Some(t) = n.connect_timeout {
            put("SocketConnectTimeout", t.as_secs().to_string());
        }
        if let Some(b) = n.send_buffer_size {
            put("SocketSendBufferSize", b.to_string());
        }
        if let Some(b) = n.receive_buffer_size {
            put("SocketReceiveBufferSize", b.to_string());
        }
        put("SocketKeepAlive", yn(n.keepalive));
        if let Some(l) = n.linger {
            put("SocketLinger", l.as_secs().to_string());
        }
        if let Some(tc) = n.traffic_class {
            put("SocketTrafficClass", tc.to_string());
        }
        if let Some(list) = &n.allowed_remote_addresses {
            put("AllowedRemoteAddresses", list.join(","));
        }
        let transport = match self.role {
            Role::Initiator => "SocketConnectProtocol",
            Role::Acceptor => "SocketAcceptProtocol",
        };
        put(transport, "TCP".to_owned());
        put("SocketOobInline", yn(n.oob_inline));
        put("SocketSynchronousWrites", yn(n.synchronous_writes));
        put(
            "SocketSynchronousWriteTimeout",
            n.synchronous_write_timeout.as_millis().to_string(),
        );

        let t = &self.timing;
        if let Some(hb) = t.heartbeat_interval {
            put("HeartBtInt", hb.as_secs().to_string());
        }
        put(
            "ReconnectInterval",
            t.reconnect_interval.as_secs().to_string(),
        );
        put(
            "ReconnectMaxInterval",
            t.reconnect_cap().as_secs().to_string(),
        );
        put("LogonTimeout", t.logon_timeout.as_secs().to_string());
        put("LogoutTimeout", t.logout_timeout.as_secs().to_string());

        for (key, value) in self.schedule.keys() {
            put(key, value);
        }

        let r = &self.reset;
        put("ResetOnLogon", yn(r.on_logon));
        put("ResetOnLogout", yn(r.on_logout));
        put("ResetOnDisconnect", yn(r.on_disconnect));
        put("RefreshOnLogon", yn(r.refresh_on_logon));

        let v = &self.validation;
        put("UseDataDictionary", yn(v.use_data_dictionary));
        let d = &self.dictionaries;
        let dicts = [
            ("DataDictionary", &d.data_dictionary),
            ("TransportDataDictionary", &d.transport_data_dictionary),
            ("AppDataDictionary", &d.app_data_dictionary),
        ];
        for (key, p) in dicts {
            if let Some(p) = p {
                put(key, path(p));
            }
        }
        for (version, p) in &d.app_data_dictionaries {
            put(&format!("AppDataDictionary.{version}"), path(p));
        }
        put("ValidateFieldsHaveValues", yn(v.fields_have_values));
        put("ValidateFieldsOutOfOrder", yn(v.fields_out_of_order));
        put("ValidateUserDefinedFields", yn(v.user_defined_fields));
        put("AllowUnknownMsgFields", yn(v.allow_unknown_msg_fields));
        put("CheckCompID", yn(v.check_comp_id));
        put("CheckLatency", yn(v.check_latency));
        put("MaxLatency", v.max_latency.as_secs().to_string());
        put("ValidateLengthAndChecksum", yn(v.length_and_checksum));
        put("ValidateChecksum", yn(v.checksum));
        put("ValidateIncomingMessage", yn(v.incoming_message));
        put("RejectInvalidMessage", yn(v.reject_invalid_message));
        put("RejectGarbledMessage", yn(v.reject_garbled_message));
        put("ValidateUnorderedGroupFields", yn(v.unordered_group_fields));
        put(
            "FirstFieldInGroupIsDelimiter",
            yn(v.first_field_in_group_is_delimiter),
        );
        put("IgnoreAbsenceOf141tag", yn(v.ignore_absence_of_141_tag));
        put(
            "PreserveMessageFieldsOrder",
            yn(v.preserve_message_fields_order),
        );

        let m = &self.messages;
        let digits = match m.timestamp_precision {
            TimePrecision::Seconds => "0",
            TimePrecision::Millis => "3",
            TimePrecision::Micros => "6",
            TimePrecision::Nanos => "9",
        };
        put("TimestampPrecision", digits.to_owned());
        put(
            "MillisecondsInTimeStamp",
            yn(m.timestamp_precision != TimePrecision::Seconds),
        );
        put(
            "ResendRequestChunkSize",
            m.resend_request_chunk_size.to_string(),
        );
        put(
            "SendRedundantResendRequests",
            yn(m.send_redundant_resend_requests),
        );

        let p = &self.policy;
        put(
            "EnableNextExpectedMsgSeqNum",
            yn(p.next_expected_msg_seq_num),
        );
        put("SendNextExpectedMsgSeqNum", yn(p.next_expected_msg_seq_num));
        put(
            "EnableLastMsgSeqNumProcessed",
            yn(p.last_msg_seq_num_processed),
        );
        put("ResetOnError", yn(p.on_error == ErrorAction::Reset));
        put(
            "DisconnectOnError",
            yn(p.on_error == ErrorAction::Disconnect),
        );
        put("ValidateSequenceNumbers", yn(p.validate_sequence_numbers));
        put("AllowPosDup", yn(p.allow_pos_dup));
        put("RequiresOrigSendingTime", yn(p.requires_orig_sending_time));
        put(
            "ForceResendWhenCorruptedStore",
            yn(p.force_resend_when_corrupted_store),
        );
        put(
            "HeartBeatTimeoutMultiplier",
            multiplier_text(p.heartbeat_timeout_multiplier),
        );
        put(
            "TestRequestDelayMultiplier",
            multiplier_text(p.test_request_delay_multiplier),
        );
        put("DisableHeartBeatCheck", yn(p.disable_heartbeat_check));
        put("ClosedResendInterval", yn(p.closed_resend_interval));
        put("UseClosedResendInterval", yn(p.closed_resend_interval));
        put(
            "RejectMessageOnUnhandledException",
            yn(p.reject_message_on_unhandled_exception),
        );
        for (i, (tag, v)) in p.logon_tags.iter().enumerate() {
            let key = if i == 0 {
                "LogonTag".to_owned()
            } else {
                format!("LogonTag{i}")
            };
            put(&key, format!("{tag}={v}"));
        }

        let s = &self.store;
        put("PersistMessages", yn(s.persist_messages));
        if let Some(p) = &s.file_store_path {
            put("FileStorePath", path(p));
        }
        put("StoreFsync", s.fsync.to_string());
        let l = &self.log;
        if let Some(p) = &s.file_log_path {
            put("FileLogPath", path(p));
        }
        if let Some(p) = &l.file_log_backup_path {
            put("FileLogBackupPath", path(p));
        }
        put("FileLogHeartbeats", yn(l.file_heartbeats));
        put("FileIncludeMilliseconds", yn(l.file_millis));
        put(
            "FileIncludeTimeStampForMessages",
            yn(l.file_message_timestamps),
        );
        if let Some(sc) = &l.screen {
            put("ScreenLogShowIncoming", yn(sc.incoming));
            put("ScreenLogShowOutgoing", yn(sc.outgoing));
            put("ScreenLogShowEvents", yn(sc.events));
            put("ScreenLogShowHeartBeats", yn(sc.heartbeats));
            put("ScreenIncludeMilliseconds", yn(sc.millis));
        }

        let tls = &self.tls;
        put("SocketUseSSL", yn(tls.enabled));
        let files = [
            ("ServerCertificateFile", &tls.server_certificate_file),
            ("ServerCertificateKeyFile", &tls.server_certificate_key_file),
            ("ClientCertificateFile", &tls.client_certificate_file),
            ("ClientCertificateKeyFile", &tls.client_certificate_key_file),
            (
                "CertificateAuthoritiesFile",
                &tls.certificate_authorities_file,
            ),
        ];
        for (key, p) in files {
            if let Some(p) = p {
                put(key, path(p));
            }
        }
        put("CertificateVerifyLevel", tls.verify_level.to_string());
        if let Some(name) = &tls.server_name {
            put("SSLServerName", name.clone());
        }
        // Protocols and suites in QuickFIX/J's list syntax, whichever key
        // named them.
        if let Some(versions) = &tls.protocols {
            let names: Vec<&str> = versions
                .iter()
                .map(|v| match v {
                    TlsVersion::Tls12 => "TLSv1.2",
                    TlsVersion::Tls13 => "TLSv1.3",
                })
                .collect();
            put("EnabledProtocols", names.join(","));
        }
        if let Some(codes) = &tls.cipher_suites {
            let names: Vec<String> = codes
                .iter()
                .map(|c| suite_name(*c).map_or_else(|| format!("0x{c:04X}"), str::to_owned))
                .collect();
            put("CipherSuites", names.join(","));
        }
        if let Some(sni) = tls.use_sni {
            put("UseSNI", yn(sni));
        }
        if let Some(name) = &tls.sni_host_name {
            put("SNIHostName", name.clone());
        }
        put(
            "SSLValidateCertificates",
            yn(!tls.skip_certificate_validation),
        );
        let endpoint = if tls.skip_host_name_check {
            ""
        } else {
            "HTTPS"
        };
        put("EndpointIdentificationAlgorithm", endpoint.to_owned());
        if let Some(check) = tls.check_revocation {
            put("SSLCheckCertificateRevocation", yn(check));
        }
        let dirs = [
            (
                "CertificateAuthoritiesDirectory",
                &tls.certificate_authorities_directory,
            ),
            (
                "CertificateRevocationListFile",
                &tls.certificate_revocation_list_file,
            ),
            (
                "CertificateRevocationListDirectory",
                &tls.certificate_revocation_list_directory,
            ),
        ];
        for (key, p) in dirs {
            if let Some(p) = p {
                put(key, path(p));
            }
        }

        let re = &self.reactor;
        if let Some(core) = re.core {
            put("ReactorCore", core.to_string());
        }
        put(
            "ReactorMode",
            match re.mode {
                ReactorMode::Spin => "spin",
                ReactorMode::Block => "block",
            }
            .to_owned(),
        );
        put(
            "MaxOutboundQueueBytes",
            re.max_outbound_queue_bytes.to_string(),
        );
        let st = &self.store;
        put("StoreSegmentSize", st.segment_bytes.to_string());
        put("StoreUpkeepThread", yn(st.upkeep_thread));
        put(
            "FilePermissions",
            format!("{:04o}", st.file_permissions.file()),
        );
        if let Some(p) = &st.backup_path {
            put("FileStoreBackupPath", path(p));
        }
        put(
            "OutboundCalmPeriod",
            re.outbound_calm.as_millis().to_string(),
        );
        if let Some(n) = re.max_connections {
            put("MaxConnections", n.to_string());
        }
        put("StopOnFatalError", yn(self.stop_on_fatal_error));
        if let Some(hp) = &self.metrics_listen {
            let host = if hp.host.contains(':') {
                format!("[{}]", hp.host)
            } else {
                hp.host.clone()
            };
            put("MetricsListen", format!("{host}:{}", hp.port));
        }
        let ha = &self.ha;
        put("HaEnabled", yn(ha.enabled));
        if ha.enabled {
            put("HaEtcdEndpoints", ha.etcd_endpoints.join(","));
            put("HaNodeName", ha.node_name.clone());
        }
        put("HaLeaseTtl", ha.lease_ttl.as_secs().to_string());
        if let Some(hp) = &ha.replication_listen {
            put("HaReplicationListen", format!("{}:{}", hp.host, hp.port));
        }
        if !ha.peers.is_empty() {
            let peers: Vec<String> = ha
                .peers
                .iter()
                .map(|hp| format!("{}:{}", hp.host, hp.port))
                .collect();
            put("HaPeers", peers.join(","));
        }
        put("HaReplication", ha.mode.name().to_owned());
        put(
            "HaSyncTimeout",
            format!("{}ms", ha.sync_timeout.as_millis()),
        );
        put("HaMaxUnacked", ha.max_unacked.to_string());
        super::security::effective(self, &mut put);
        out
    }
}
