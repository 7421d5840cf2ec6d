//! FIX field types and the value syntax checks QuickFIX applies to them.

/// A field's data type as declared in the dictionary (`type='...'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// STRING (and types QuickFIX treats as free text).
    String,
    /// CHAR (a STRING before FIX.4.2, as in QuickFIX).
    Char,
    /// PRICE.
    Price,
    /// INT.
    Int,
    /// AMT.
    Amt,
    /// QTY.
    Qty,
    /// CURRENCY.
    Currency,
    /// MULTIPLEVALUESTRING.
    MultipleValueString,
    /// MULTIPLESTRINGVALUE.
    MultipleStringValue,
    /// MULTIPLECHARVALUE.
    MultipleCharValue,
    /// EXCHANGE.
    Exchange,
    /// UTCTIMESTAMP (and TIME).
    UtcTimestamp,
    /// BOOLEAN.
    Boolean,
    /// LOCALMKTDATE.
    LocalMktDate,
    /// DATA.
    Data,
    /// FLOAT.
    Float,
    /// PRICEOFFSET.
    PriceOffset,
    /// MONTHYEAR.
    MonthYear,
    /// DAYOFMONTH.
    DayOfMonth,
    /// UTCDATE.
    UtcDate,
    /// UTCDATEONLY.
    UtcDateOnly,
    /// UTCTIMEONLY.
    UtcTimeOnly,
    /// NUMINGROUP.
    NumInGroup,
    /// PERCENTAGE.
    Percentage,
    /// SEQNUM.
    SeqNum,
    /// LENGTH.
    Length,
    /// COUNTRY.
    Country,
    /// TZTIMEONLY.
    TzTimeOnly,
    /// TZTIMESTAMP.
    TzTimestamp,
    /// XMLDATA.
    XmlData,
    /// LANGUAGE.
    Language,
    /// Any other type name (DATE, TAGNUM, XID, ...): not checked, like QuickFIX.
    Unknown,
}

impl FieldType {
    /// Maps a dictionary type name; `pre_fix42` turns CHAR into STRING (QuickFIX).
    pub fn from_xml(name: &str, pre_fix42: bool) -> FieldType {
        use FieldType::*;
        match name {
            "CHAR" if pre_fix42 => String,
            "STRING" => String,
            "CHAR" => Char,
            "PRICE" => Price,
            "INT" => Int,
            "AMT" => Amt,
            "QTY" => Qty,
            "CURRENCY" => Currency,
            "MULTIPLEVALUESTRING" => MultipleValueString,
            "MULTIPLESTRINGVALUE" => MultipleStringValue,
            "MULTIPLECHARVALUE" => MultipleCharValue,
            "EXCHANGE" => Exchange,
            "UTCTIMESTAMP" | "TIME" => UtcTimestamp,
            "BOOLEAN" => Boolean,
            "LOCALMKTDATE" => LocalMktDate,
            "DATA" => Data,
            "FLOAT" => Float,
            "PRICEOFFSET" => PriceOffset,
            "MONTHYEAR" => MonthYear,
            "DAYOFMONTH" => DayOfMonth,
            "UTCDATE" => UtcDate,
            "UTCDATEONLY" => UtcDateOnly,
            "UTCTIMEONLY" => UtcTimeOnly,
            "NUMINGROUP" => NumInGroup,
            "PERCENTAGE" => Percentage,
            "SEQNUM" => SeqNum,
            "LENGTH" => Length,
            "COUNTRY" => Country,
            "TZTIMEONLY" => TzTimeOnly,
            "TZTIMESTAMP" => TzTimestamp,
            "XMLDATA" => XmlData,
            "LANGUAGE" => Language,
            _ => Unknown,
        }
    }

    /// True for the space-separated multi-value types (enum check per token).
    pub fn is_multiple_value(self) -> bool {
        matches!(
            self,
            FieldType::MultipleValueString
                | FieldType::MultipleStringValue
                | FieldType::MultipleCharValue
        )
    }

    /// Checks `value`'s syntax as QuickFIX's convertors do. With `strict`,
    /// LOCALMKTDATE and MONTHYEAR (free text in QuickFIX) are checked too.
    #[inline]
    pub fn accepts(self, value: &[u8], strict: bool) -> bool {
        use FieldType::*;
        match self {
            Char => value.len() == 1,
            Price | Amt | Qty | Float | PriceOffset | Percentage => is_decimal(value),
            Int | DayOfMonth | NumInGroup | SeqNum | Length => is_int(value),
            Boolean => value == b"Y" || value == b"N",
            UtcTimestamp => is_utc_timestamp(value),
            UtcTimeOnly => is_utc_time_only(value),
            UtcDate | UtcDateOnly => is_date(value),
            LocalMktDate if strict => is_date(value),
            MonthYear if strict => is_month_year(value),
            _ => true,
        }
    }
}

/// `-?[0-9]+` (QuickFIX IntConvertor: no `+`, no blanks).
pub fn is_int(v: &[u8]) -> bool {
    let digits = v.strip_prefix(b"-").unwrap_or(v);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// `-?[0-9]*(\.[0-9]*)?` with at least one digit (QuickFIX DoubleConvertor).
pub fn is_decimal(v: &[u8]) -> bool {
    let body = v.strip_prefix(b"-").unwrap_or(v);
    let mut digits = 0usize;
    let mut dot = false;
    for &b in body {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' if !dot => dot = true,
            _ => return false,
        }
    }
    digits > 0
}

fn num(v: &[u8]) -> u32 {
    v.iter()
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
}

fn all_digits(v: &[u8]) -> bool {
    v.iter().all(u8::is_ascii_digit)
}

/// `YYYYMMDD` with month 1-12 and day 1-31.
pub fn is_date(v: &[u8]) -> bool {
    match v {
        [y0, y1, y2, y3, m0, m1, d0, d1] => {
            let ds = [*y0, *y1, *y2, *y3, *m0, *m1, *d0, *d1];
            all_digits(&ds)
                && (1..=12).contains(&num(&[*m0, *m1]))
                && (1..=31).contains(&num(&[*d0, *d1]))
        }
        _ => false,
    }
}

/// `HH:MM:SS` then optionally `.` and up to 9 digits; hour <= 23, minute <= 59, second <= 60.
pub fn is_utc_time_only(v: &[u8]) -> bool {
    let (hms, frac) = v.split_at(v.len().min(8));
    let ok = match hms {
        [h0, h1, b':', m0, m1, b':', s0, s1] => {
            let ds = [*h0, *h1, *m0, *m1, *s0, *s1];
            all_digits(&ds)
                && num(&[*h0, *h1]) <= 23
                && num(&[*m0, *m1]) <= 59
                && num(&[*s0, *s1]) <= 60
        }
        _ => false,
    };
    ok && match frac {
        [] => true,
        [b'.', rest @ ..] => rest.len() <= 9 && all_digits(rest),
        _ => false,
    }
}

/// `YYYYMMDD-HH:MM:SS[.f{1,9}]` (QuickFIX UtcTimeStampConvertor).
pub fn is_utc_timestamp(v: &[u8]) -> bool {
    if v.len() < 17 || v.len() > 27 {
        return false;
    }
    let (date, rest) = v.split_at(8);
    is_date(date) && rest.first() == Some(&b'-') && is_utc_time_only(rest.get(1..).unwrap_or(&[]))
}

/// `YYYYMM`, `YYYYMMDD` or `YYYYMMwN` (week 1-5).
pub fn is_month_year(v: &[u8]) -> bool {
    let Some((ym, tail)) = v.split_at_checked(6) else {
        return false;
    };
    let month_ok = all_digits(ym) && ym.get(4..6).is_some_and(|m| (1..=12).contains(&num(m)));
    month_ok
        && match tail {
            [] => true,
            [b'w', w] => (b'1'..=b'5').contains(w),
            [d0, d1] => all_digits(tail) && (1..=31).contains(&num(&[*d0, *d1])),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_and_decimals() {
        assert!(is_int(b"0") && is_int(b"-12") && !is_int(b"") && !is_int(b"-"));
        assert!(!is_int(b"+1") && !is_int(b"1.0") && !is_int(b" 1"));
        assert!(is_decimal(b"002000.00") && is_decimal(b"-1.") && is_decimal(b".5"));
        assert!(!is_decimal(b"+200.00") && !is_decimal(b"1e5") && !is_decimal(b"."));
        assert!(!is_decimal(b"1.2.3") && !is_decimal(b""));
    }

    #[test]
    fn times_and_dates() {
        assert!(is_utc_timestamp(b"20261124-10:00:00"));
        assert!(is_utc_timestamp(b"20261124-10:00:00.000"));
        assert!(is_utc_timestamp(b"20261124-23:59:60.123456789"));
        assert!(!is_utc_timestamp(b"20040415"));
        assert!(!is_utc_timestamp(b"20261324-10:00:00"));
        assert!(!is_utc_timestamp(b"20261124-24:00:00"));
        assert!(!is_utc_timestamp(b"20261124 10:00:00"));
        assert!(is_utc_time_only(b"10:00:00") && is_utc_time_only(b"10:00:00.5"));
        assert!(!is_utc_time_only(b"10:0:00"));
        assert!(is_date(b"20040415") && !is_date(b"20040432") && !is_date(b"2004041"));
        assert!(is_month_year(b"202611") && is_month_year(b"20261130"));
        assert!(is_month_year(b"202611w3") && !is_month_year(b"202613"));
    }

    #[test]
    fn type_rules() {
        assert!(FieldType::Char.accepts(b"1", false) && !FieldType::Char.accepts(b"12", false));
        assert!(
            FieldType::Boolean.accepts(b"Y", false) && !FieldType::Boolean.accepts(b"y", false)
        );
        assert!(FieldType::LocalMktDate.accepts(b"junk", false));
        assert!(!FieldType::LocalMktDate.accepts(b"junk", true));
        assert_eq!(FieldType::from_xml("CHAR", true), FieldType::String);
        assert_eq!(FieldType::from_xml("CHAR", false), FieldType::Char);
    }
}
