//! Names of the message types a replay report mentions most.

/// The name of a MsgType, or `""` when not a common one.
pub(crate) fn msg_type_name(t: &[u8]) -> &'static str {
    match t {
        b"0" => "Heartbeat",
        b"1" => "TestRequest",
        b"2" => "ResendRequest",
        b"3" => "Reject",
        b"4" => "SequenceReset",
        b"5" => "Logout",
        b"A" => "Logon",
        b"8" => "ExecutionReport",
        b"9" => "OrderCancelReject",
        b"D" => "NewOrderSingle",
        b"F" => "OrderCancelRequest",
        b"G" => "OrderCancelReplaceRequest",
        b"H" => "OrderStatusRequest",
        b"j" => "BusinessMessageReject",
        b"d" => "SecurityDefinition",
        b"V" => "MarketDataRequest",
        b"W" => "MarketDataSnapshotFullRefresh",
        b"X" => "MarketDataIncrementalRefresh",
        b"AE" => "TradeCaptureReport",
        _ => "",
    }
}
