//! Required fields are in the builder's type: per default version, a
//! message without one of them does not compile (`send` does not exist).

#[test]
fn a_message_without_a_required_field_does_not_compile() {
    let t = trybuild::TestCases::new();
    t.pass("ui/fix44_new_order_single_complete.rs");
    t.compile_fail("ui/fix42_new_order_single_without_cl_ord_id.rs");
    t.compile_fail("ui/fix44_new_order_single_without_cl_ord_id.rs");
    t.compile_fail("ui/fix50sp2_new_order_single_without_cl_ord_id.rs");
    t.compile_fail("ui/fixt11_logon_without_heart_bt_int.rs");
}
