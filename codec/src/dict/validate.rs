//! The validator: dictionary selection (FIX.4.x, FIXT.1.1 + application
//! versions), options, and the reusable scratch space of the check pass.

use std::path::Path;
use std::sync::Arc;

use super::builtin::{builtin_for_appl_ver_id, builtin_for_begin_string};
use super::pass::Pass;
use super::quick::Quick;
use super::{DictError, Dictionary, Reject};
use crate::data_fields::data_tag_for;
use crate::{MessageView, Parser, INVALID_TAG};

/// Validation settings, named after the QuickFIX session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `ValidateFieldsHaveValues` (default Y): reject `tag=` with no value.
    pub validate_fields_have_values: bool,
    /// `ValidateFieldsOutOfOrder` (default Y): header, body, trailer in order.
    pub validate_fields_out_of_order: bool,
    /// `ValidateUserDefinedFields` (default Y): check tags >= 5000 against the dictionary.
    pub validate_user_defined_fields: bool,
    /// `AllowUnknownMsgFields` (default N): skip the tag checks for tags < 5000.
    pub allow_unknown_msg_fields: bool,
    /// Beyond QuickFIX (default N): check empty values, data format and enums
    /// of repeating-group members and the counts of nested groups too.
    pub validate_group_members: bool,
    /// Beyond QuickFIX (default N): an instance must start with the group's
    /// delimiter (else 373=15 "Repeating group fields out of order").
    pub validate_group_delimiter: bool,
    /// Beyond QuickFIX (default N): LOCALMKTDATE and MONTHYEAR syntax.
    pub strict_date_formats: bool,
    /// QuickFIX/J `ValidateUnorderedGroupFields`: members of a group
    /// instance must follow the dictionary's order (else 373=15 "Repeating
    /// group fields out of order"). Default N, QuickFIX C++'s behaviour
    /// (QuickFIX/J's default is Y).
    pub validate_unordered_group_fields: bool,
    /// QuickFIX/J `FirstFieldInGroupIsDelimiter` (default N): the first
    /// member after a NumInGroup delimits that group's instances, whatever
    /// the dictionary's first field; a repeated member then stays in its
    /// instance.
    pub first_field_in_group_is_delimiter: bool,
    /// QuickFIX/J `AllowUnknownEnumValues` (default N): a value outside a
    /// field's enumeration is accepted (its type's syntax is still checked)
    /// instead of rejected with 373=5. MsgType (35) is not affected.
    pub allow_unknown_enum_values: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            validate_fields_have_values: true,
            validate_fields_out_of_order: true,
            validate_user_defined_fields: true,
            allow_unknown_msg_fields: false,
            validate_group_members: false,
            validate_group_delimiter: false,
            strict_date_formats: false,
            validate_unordered_group_fields: false,
            first_field_in_group_is_delimiter: false,
            allow_unknown_enum_values: false,
        }
    }
}

impl Options {
    /// Applies one QuickFIX session setting (`ValidateFieldsHaveValues`,
    /// `ValidateFieldsOutOfOrder` or `CheckFieldsOutOfOrder`,
    /// `ValidateUserDefinedFields`, `AllowUnknownMsgFields`,
    /// `ValidateUnorderedGroupFields`, `FirstFieldInGroupIsDelimiter`,
    /// `AllowUnknownEnumValues`, and this crate's
    /// `ValidateGroupMembers`, `ValidateGroupDelimiter`, `StrictDateFormats`).
    /// Returns false for a key it does not know.
    pub fn set(&mut self, key: &str, value: bool) -> bool {
        let slot = match key {
            "ValidateFieldsHaveValues" => &mut self.validate_fields_have_values,
            "ValidateFieldsOutOfOrder" | "CheckFieldsOutOfOrder" => {
                &mut self.validate_fields_out_of_order
            }
            "ValidateUserDefinedFields" => &mut self.validate_user_defined_fields,
            "AllowUnknownMsgFields" => &mut self.allow_unknown_msg_fields,
            "ValidateGroupMembers" => &mut self.validate_group_members,
            "ValidateGroupDelimiter" => &mut self.validate_group_delimiter,
            "StrictDateFormats" => &mut self.strict_date_formats,
            "ValidateUnorderedGroupFields" => &mut self.validate_unordered_group_fields,
            "FirstFieldInGroupIsDelimiter" => &mut self.first_field_in_group_is_delimiter,
            "AllowUnknownEnumValues" => &mut self.allow_unknown_enum_values,
            _ => return false,
        };
        *slot = value;
        true
    }
}

/// QuickFIX's admin message test: one of `0 A 1 2 3 4 5`.
pub fn is_admin_msg_type(msg_type: &[u8]) -> bool {
    matches!(msg_type, [b'0' | b'A' | b'1' | b'2' | b'3' | b'4' | b'5'])
}

/// Whether a FIXT.1.1 message's body belongs to the transport dictionary:
/// QuickFIX's admin types, and any type the transport dictionary itself
/// declares `msgcat="admin"` (XMLnonFIX, 35=n, which no application
/// dictionary defines; QuickFIX sends it to the application dictionary
/// and rejects it as an unsupported type).
pub(crate) fn is_transport_msg_type(session: &Dictionary, msg_type: &[u8]) -> bool {
    is_admin_msg_type(msg_type) || session.message(msg_type).is_some_and(|m| m.admin)
}

/// Reusable per-validator memory: stamps indexed by tag, so the pass needs
/// no clearing and no allocation once sized.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub gen: u32,
    pub sec_stamp: Vec<u32>,
    pub inst_counter: u32,
    pub inst_stamp: Vec<u32>,
    /// Presence of tags outside the tables (unknown or negative): (tag, stamp).
    pub extra: Vec<(i64, u32)>,
    pub stack: Vec<super::pass::Frame>,
}

impl Scratch {
    fn ensure(&mut self, max_tag: u32) {
        let n = max_tag as usize + 1;
        if self.sec_stamp.len() < n {
            self.sec_stamp.resize(n, 0);
            self.inst_stamp.resize(n, 0);
        }
    }

    /// Starts a message: a fresh generation (stamps of older ones no longer match).
    pub fn next_message(&mut self) {
        self.gen += 1;
        if self.gen >= 1 << 30 {
            self.sec_stamp.iter_mut().for_each(|s| *s = 0);
            self.gen = 1;
        }
        self.extra.clear();
        self.stack.clear();
    }

    /// A fresh group-instance id.
    pub fn next_instance(&mut self) -> u32 {
        self.inst_counter += 1;
        if self.inst_counter == u32::MAX {
            self.inst_stamp.iter_mut().for_each(|s| *s = 0);
            self.inst_counter = 1;
        }
        self.inst_counter
    }
}

/// An application dictionary by ApplVerID value (None: known to be absent).
type AppEntry = (Box<[u8]>, Option<Arc<Dictionary>>);

/// Validates inbound messages of one session against its dictionaries.
///
/// Holds the session dictionary (a FIX.4.x one, or FIXT.1.1) and, for
/// FIXT.1.1, the application dictionaries by ApplVerID (shipped ones by
/// default). `validate_*` take `&mut self` only for the reusable scratch.
#[derive(Debug)]
pub struct Validator {
    session: Arc<Dictionary>,
    default_app: Option<Arc<Dictionary>>,
    apps: Vec<AppEntry>,
    use_builtin_apps: bool,
    options: Options,
    /// `Quick::applies(&options)`, worked out when the options change.
    quick_applies: bool,
    /// Tags below 5000 / from 5000 on are checked (from `options`).
    check: (bool, bool),
    scratch: Scratch,
    parser: Option<Parser>,
    /// The last MsgType the fast path met (packed) and whether the session
    /// dictionary's field 35 lists it.
    type_listed: (u64, bool),
}

impl Validator {
    /// A validator for `session` (FIX.4.x: validates everything; FIXT.1.1:
    /// header, trailer and admin messages, with shipped application dictionaries).
    pub fn new(session: Arc<Dictionary>, options: Options) -> Validator {
        let mut scratch = Scratch::default();
        scratch.ensure(session.max_tag());
        Validator {
            session,
            default_app: None,
            apps: Vec::new(),
            use_builtin_apps: true,
            quick_applies: Quick::applies(&options),
            check: Quick::checks(&options),
            options,
            scratch,
            parser: None,
            type_listed: (u64::MAX, false),
        }
    }

    /// A validator on the shipped dictionary for this BeginString; for
    /// FIXT.1.1 `default_appl_ver_id` (1137 value, e.g. `9`) picks the default
    /// application dictionary.
    pub fn builtin(
        begin_string: &[u8],
        default_appl_ver_id: Option<&[u8]>,
        options: Options,
    ) -> Result<Validator, DictError> {
        let mut v = Validator::new(builtin_for_begin_string(begin_string)?, options);
        if let Some(id) = default_appl_ver_id {
            v.set_default_appl_ver_id(id)?;
        }
        Ok(v)
    }

    /// Registers the application dictionary for an ApplVerID value
    /// (`AppDataDictionary`); it replaces the shipped one for that value.
    pub fn with_app_dictionary(mut self, appl_ver_id: &[u8], dict: Arc<Dictionary>) -> Validator {
        self.scratch.ensure(dict.max_tag());
        self.apps.retain(|(id, _)| **id != *appl_ver_id);
        self.apps.push((appl_ver_id.into(), Some(dict)));
        self
    }

    /// A validator from QuickFIX-style settings: `DataDictionary` (FIX.4.x) or
    /// `TransportDataDictionary` (FIXT.1.1) as `session_dictionary`, the
    /// `AppDataDictionary` files (each registered under its own version's
    /// ApplVerID), and DefaultApplVerID. Shipped copies fill what is not named.
    pub fn from_settings(
        begin_string: &[u8],
        session_dictionary: Option<&Path>,
        app_dictionaries: &[&Path],
        default_appl_ver_id: Option<&[u8]>,
        options: Options,
    ) -> Result<Validator, DictError> {
        let session = match session_dictionary {
            Some(path) => {
                let d = Dictionary::load(path)?;
                if d.version().as_bytes() != begin_string {
                    return Err(DictError::Invalid {
                        file: path.display().to_string(),
                        reason: format!(
                            "dictionary is {} but the session's BeginString is {}",
                            d.version(),
                            String::from_utf8_lossy(begin_string)
                        ),
                    });
                }
                Arc::new(d)
            }
            None => builtin_for_begin_string(begin_string)?,
        };
        let mut v = Validator::new(session, options);
        for path in app_dictionaries {
            v = v.with_app(Arc::new(Dictionary::load(path)?))?;
        }
        if let Some(id) = default_appl_ver_id {
            v.set_default_appl_ver_id(id)?;
        }
        Ok(v)
    }

    /// Registers an application dictionary under its own version's ApplVerID.
    pub fn with_app(self, dict: Arc<Dictionary>) -> Result<Validator, DictError> {
        match dict.appl_ver_id() {
            Some(id) => Ok(self.with_app_dictionary(id, dict)),
            None => Err(DictError::Invalid {
                file: dict.source().to_string(),
                reason: format!("{} is not an application version", dict.version()),
            }),
        }
    }

    /// Only use dictionaries registered with [`Validator::with_app_dictionary`].
    pub fn without_builtin_app_dictionaries(mut self) -> Validator {
        self.use_builtin_apps = false;
        self
    }

    /// Sets the default application version (DefaultApplVerID, 1137 value).
    pub fn set_default_appl_ver_id(&mut self, appl_ver_id: &[u8]) -> Result<(), DictError> {
        let dict = match self.app_dictionary(appl_ver_id) {
            Some(d) => d,
            None => {
                return Err(DictError::UnknownApplVerId(
                    String::from_utf8_lossy(appl_ver_id).into_owned(),
                ))
            }
        };
        self.scratch.ensure(dict.max_tag());
        self.default_app = Some(dict);
        Ok(())
    }

    /// Sets the default application dictionary directly.
    pub fn set_default_app_dictionary(&mut self, dict: Arc<Dictionary>) {
        self.scratch.ensure(dict.max_tag());
        self.default_app = Some(dict);
    }

    fn app_dictionary(&mut self, appl_ver_id: &[u8]) -> Option<Arc<Dictionary>> {
        if let Some((_, d)) = self.apps.iter().find(|(id, _)| **id == *appl_ver_id) {
            return d.clone();
        }
        let d = if self.use_builtin_apps {
            builtin_for_appl_ver_id(appl_ver_id).ok()
        } else {
            None
        };
        if let Some(d) = &d {
            self.scratch.ensure(d.max_tag());
        }
        self.apps.push((appl_ver_id.into(), d.clone()));
        d
    }

    /// The session dictionary.
    pub fn session_dictionary(&self) -> &Arc<Dictionary> {
        &self.session
    }

    /// The default application dictionary (FIXT.1.1), once set.
    pub fn default_app_dictionary(&self) -> Option<&Arc<Dictionary>> {
        self.default_app.as_ref()
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Changes the options.
    pub fn set_options(&mut self, options: Options) {
        self.quick_applies = Quick::applies(&options);
        self.check = Quick::checks(&options);
        self.options = options;
    }

    /// The dictionary that validates the body of a message (None: no
    /// application dictionary for its ApplVerID, as QuickFIX: body unchecked).
    fn body_dictionary(
        &mut self,
        msg_type: &[u8],
        appl_ver_id: Option<&[u8]>,
    ) -> Option<Arc<Dictionary>> {
        if !self.session.is_transport() {
            return Some(self.session.clone());
        }
        self.fixt_body_dictionary(msg_type, appl_ver_id)
    }

    /// [`Self::body_dictionary`] under FIXT.1.1. Out of line: inlined, the
    /// transport dictionary's lookup cost FIX.4.x sessions' validation 40
    /// instructions per message (callgrind, `nos`), which never take it.
    #[inline(never)]
    fn fixt_body_dictionary(
        &mut self,
        msg_type: &[u8],
        appl_ver_id: Option<&[u8]>,
    ) -> Option<Arc<Dictionary>> {
        if is_transport_msg_type(&self.session, msg_type) {
            return Some(self.session.clone());
        }
        match appl_ver_id {
            Some(id) => self.app_dictionary(id),
            None => self.default_app.clone(),
        }
    }

    /// Validates one message given as `(tag, value)` pairs in wire order, from
    /// BeginString (8) to CheckSum (10). Returns the first problem in
    /// QuickFIX's order. Tags are signed so `-1=x` can be reported as QuickFIX does.
    pub fn validate_fields<'a, I>(&mut self, fields: I) -> Result<(), Reject>
    where
        I: IntoIterator<Item = (i64, &'a [u8])>,
        I::IntoIter: Clone,
    {
        let iter = fields.into_iter();
        let (msg_type, appl_ver_id) = header_keys(iter.clone(), &self.session);
        self.run(msg_type, appl_ver_id, iter)
    }

    /// One pass over `fields`, with MsgType and ApplVerID already known.
    fn run<'a, I>(
        &mut self,
        msg_type: Option<&[u8]>,
        appl_ver_id: Option<&[u8]>,
        fields: I,
    ) -> Result<(), Reject>
    where
        I: Iterator<Item = (i64, &'a [u8])>,
    {
        let body = match (self.session.is_transport(), msg_type) {
            // FIX.4.x: the one dictionary, without an Arc clone on the hot path.
            (false, _) => None,
            (true, mt) => self.body_dictionary(mt.unwrap_or(b""), appl_ver_id),
        };
        let session: &Dictionary = &self.session;
        let body_dict: Option<&Dictionary> = if session.is_transport() {
            body.as_deref()
        } else {
            Some(session)
        };
        self.scratch.next_message();
        let mut pass = Pass::new(
            session,
            body_dict,
            &self.options,
            &mut self.scratch,
            msg_type,
        );
        for (tag, value) in fields {
            pass.field(tag, value);
        }
        pass.finish()
    }

    /// Validates a parsed message (the codec's [`MessageView`]): a lean
    /// pass first, which only says "valid"; when it does not, the exact
    /// pass finds the reject.
    pub fn validate(&mut self, view: &MessageView<'_>) -> Result<(), Reject> {
        let v = *view;
        // The codec indexed the message: no pre-scan for MsgType/ApplVerID.
        let msg_type = v.get(crate::tags::MSG_TYPE);
        let appl_ver_id = if self.session.is_transport() {
            v.appl_ver_id()
        } else {
            None
        };
        if self.quick(&v, msg_type, appl_ver_id) {
            return Ok(());
        }
        self.exact(v, msg_type, appl_ver_id)
    }

    /// [`Validator::validate`] without the fast path: the exact pass alone
    /// (what the fast path must agree with; for tests and fuzzing).
    #[doc(hidden)]
    pub fn validate_exact(&mut self, view: &MessageView<'_>) -> Result<(), Reject> {
        let v = *view;
        let msg_type = v.get(crate::tags::MSG_TYPE);
        let appl_ver_id = if self.session.is_transport() {
            v.appl_ver_id()
        } else {
            None
        };
        self.exact(v, msg_type, appl_ver_id)
    }

    fn exact(
        &mut self,
        v: MessageView<'_>,
        msg_type: Option<&[u8]>,
        appl_ver_id: Option<&[u8]>,
    ) -> Result<(), Reject> {
        let fields = (0..v.len()).map_while(move |i| {
            let f = v.field(i)?;
            Some((signed_tag(&v, f.tag, i), f.value))
        });
        self.run(msg_type, appl_ver_id, fields)
    }

    /// The fast path: true when `view` passes every check.
    fn quick(
        &mut self,
        view: &MessageView<'_>,
        msg_type: Option<&[u8]>,
        appl_ver_id: Option<&[u8]>,
    ) -> bool {
        let Some(mt) = msg_type else { return false };
        if !self.quick_applies {
            return false;
        }
        let app = match self.session.is_transport() {
            true => match self.body_dictionary(mt, appl_ver_id) {
                Some(d) => Some(d),
                None => return false,
            },
            false => None,
        };
        let session: &Dictionary = &self.session;
        let body = app.as_deref().unwrap_or(session);
        let Some(msg) = body.message(mt) else {
            return false;
        };
        // Whether field 35 lists the type: one lookup per new type.
        let key = super::model::pack7(mt);
        let listed = match self.type_listed {
            (k, listed) if Some(k) == key => listed,
            _ => {
                let listed = session.field(35).is_some_and(|f| f.value_allowed(mt));
                if let Some(k) = key {
                    self.type_listed = (k, listed);
                }
                listed
            }
        };
        let (buf, entries) = view.entries();
        let quick = Quick::new(session, body, msg, &self.options, self.check, listed);
        quick.run(&mut self.scratch, buf, entries)
    }

    /// Validates a raw SOH-delimited message (8=... through 10=...|).
    /// Length-prefixed DATA fields are honoured. Indexes it with the codec's
    /// parser (kept for reuse); a message the parser refuses is split here.
    pub fn validate_bytes(&mut self, msg: &[u8]) -> Result<(), Reject> {
        let mut parser = self.parser.take().unwrap_or_default();
        let result = match parser.parse_framed(msg) {
            Ok(view) => self.validate(&view),
            Err(_) => self.validate_fields(RawFields {
                rest: msg,
                pending: None,
            }),
        };
        self.parser = Some(parser);
        result
    }
}

/// The tag as QuickFIX reports it: a negative tag text keeps its number.
#[inline]
fn signed_tag(view: &MessageView<'_>, tag: crate::Tag, position: usize) -> i64 {
    if tag != INVALID_TAG {
        return i64::from(tag);
    }
    view.tag_text(position)
        .and_then(|t| std::str::from_utf8(t).ok())
        .and_then(|t| t.parse().ok())
        .unwrap_or(-1)
}

/// MsgType (35) and ApplVerID (1128) from the header, before the first body field.
fn header_keys<'a, I>(iter: I, session: &Dictionary) -> (Option<&'a [u8]>, Option<&'a [u8]>)
where
    I: Iterator<Item = (i64, &'a [u8])>,
{
    let mut msg_type = None;
    let mut appl = None;
    for (tag, value) in iter {
        match tag {
            35 => msg_type = msg_type.or(Some(value)),
            1128 => appl = appl.or(Some(value)),
            t if super::pass::is_header_tag(session, t) => {}
            _ => break,
        }
        if msg_type.is_some() && !session.is_transport() {
            break;
        }
    }
    (msg_type, appl)
}

/// Splits a raw message into (tag, value); tags that are not numbers come out as -1.
#[derive(Clone)]
struct RawFields<'a> {
    rest: &'a [u8],
    /// (data tag, byte count) announced by the previous field.
    pending: Option<(i64, usize)>,
}

impl<'a> Iterator for RawFields<'a> {
    type Item = (i64, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        // One scan finds '=' and reads the tag (tags and most values are a few bytes).
        let (mut tag, mut digits, mut neg, mut bad, mut eq) = (0i64, 0usize, false, false, None);
        for (i, &b) in self.rest.iter().enumerate() {
            match b {
                b'=' => {
                    eq = Some(i);
                    break;
                }
                b'0'..=b'9' if digits < 18 => {
                    tag = tag * 10 + i64::from(b - b'0');
                    digits += 1;
                }
                b'-' if i == 0 => neg = true,
                _ => bad = true,
            }
        }
        let eq = eq?;
        let tag = match (bad || digits == 0, neg) {
            (true, _) => -1,
            (false, true) => -tag,
            (false, false) => tag,
        };
        let after = self.rest.get(eq + 1..).unwrap_or(&[]);
        let data_len = self
            .pending
            .take()
            .filter(|&(t, n)| t == tag && n <= after.len())
            .map(|(_, n)| n);
        let len = match data_len {
            Some(n) => n,
            None => after.iter().position(|&b| b == 0x01).unwrap_or(after.len()),
        };
        let (value, tail) = after.split_at(len);
        self.rest = tail.get(1..).unwrap_or(&[]);
        // A length tag announces how many bytes (SOH included) the next data field holds.
        self.pending = u32::try_from(tag)
            .ok()
            .and_then(data_tag_for)
            .and_then(|t| {
                let n = std::str::from_utf8(value).ok()?.parse::<usize>().ok()?;
                Some((i64::from(t), n))
            });
        Some((tag, value))
    }
}
