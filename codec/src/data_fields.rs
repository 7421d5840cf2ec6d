//! Length-prefixed data fields: the Len tag announces how many bytes the
//! next (data) field holds, so its value may contain SOH. The table covers
//! every LENGTH/DATA pair of the FIX 4.0-5.0SP2 dictionaries in `spec/`.

use crate::Tag;

/// `(length tag, data tag)` pairs, sorted by length tag.
pub const LEN_DATA_PAIRS: &[(Tag, Tag)] = &[
    (90, 91),       // SecureData
    (93, 89),       // Signature
    (95, 96),       // RawData
    (212, 213),     // XmlData
    (348, 349),     // EncodedIssuer
    (350, 351),     // EncodedSecurityDesc
    (352, 353),     // EncodedListExecInst
    (354, 355),     // EncodedText
    (356, 357),     // EncodedSubject
    (358, 359),     // EncodedHeadline
    (360, 361),     // EncodedAllocText
    (362, 363),     // EncodedUnderlyingIssuer
    (364, 365),     // EncodedUnderlyingSecurityDesc
    (445, 446),     // EncodedListStatusText
    (618, 619),     // EncodedLegIssuer
    (621, 622),     // EncodedLegSecurityDesc
    (1184, 1185),   // SecurityXML
    (1277, 1278),   // DerivativeEncodedIssuer
    (1280, 1281),   // DerivativeEncodedSecurityDesc
    (1282, 1283),   // DerivativeSecurityXML
    (1397, 1398),   // EncodedMktSegmDesc
    (1401, 1402),   // EncryptedPassword
    (1403, 1404),   // EncryptedNewPassword
    (1468, 1469),   // EncodedSecurityListDesc
    (1525, 1527),   // EncodedDocumentationText
    (1578, 1579),   // EncodedEventText
    (1620, 1621),   // InstrumentScopeEncodedSecurityDesc
    (1664, 1665),   // EncodedRejectText
    (1678, 1697),   // EncodedOptionExpirationDesc
    (1733, 1734),   // EncodedFirmAllocText
    (1871, 1872),   // LegSecurityXML
    (1874, 1875),   // UnderlyingSecurityXML
    (2072, 2073),   // EncodedUnderlyingEventText
    (2074, 2075),   // EncodedLegEventText
    (2111, 2112),   // EncodedAttachment
    (2179, 2180),   // EncodedLegOptionExpirationDesc
    (2287, 2288),   // EncodedUnderlyingOptionExpirationDesc
    (2351, 2352),   // EncodedComplianceText
    (2372, 2371),   // EncodedTradeContinuationText
    (2481, 2482),   // EncodedMDStatisticDesc
    (2494, 2493),   // EncodedLegDocumentationText
    (2522, 2521),   // EncodedWarningText
    (2637, 2638),   // EncodedMiscFeeSubTypeDesc
    (2651, 2652),   // EncodedCommissionDesc
    (2665, 2666),   // EncodedAllocCommissionDesc
    (2715, 2716),   // EncodedFinancialInstrumentFullName
    (2718, 2719),   // EncodedLegFinancialInstrumentFullName
    (2721, 2722),   // EncodedUnderlyingFinancialInstrumentFullName
    (2797, 2798),   // EncodedMatchExceptionText
    (2802, 2801),   // EncodedReplaceText
    (2809, 2808),   // EncodedCancelText
    (2815, 2814),   // EncodedPostTradePaymentDesc
    (40004, 40005), // EncodedAdditionalTermBondDesc
    (40008, 40009), // EncodedAdditionalTermBondIssuer
    (40978, 40979), // EncodedLegStreamText
    (40980, 40981), // EncodedLegProvisionText
    (40982, 40983), // EncodedStreamText
    (40984, 40985), // EncodedPaymentText
    (40986, 40987), // EncodedProvisionText
    (40988, 40989), // EncodedUnderlyingStreamText
    (41083, 41084), // EncodedDeliveryStreamCycleDesc
    (41101, 41102), // EncodedMarketDisruptionFallbackUnderlierSecurityDesc
    (41107, 41108), // EncodedExerciseDesc
    (41256, 41257), // EncodedStreamCommodityDesc
    (41320, 41321), // EncodedLegAdditionalTermBondDesc
    (41324, 41325), // EncodedLegAdditionalTermBondIssuer
    (41458, 41459), // EncodedLegDeliveryStreamCycleDesc
    (41476, 41477), // EncodedLegMarketDisruptionFallbackUnderlierSecurityDesc
    (41482, 41483), // EncodedLegExerciseDesc
    (41653, 41654), // EncodedLegStreamCommodityDesc
    (41710, 41711), // EncodedUnderlyingAdditionalTermBondDesc
    (41806, 41807), // EncodedUnderlyingDeliveryStreamCycleDesc
    (41811, 41812), // EncodedUnderlyingExerciseDesc
    (41873, 41874), // EncodedUnderlyingMarketDisruptionFallbackUnderlierSecurityDesc
    (41969, 41970), // EncodedUnderlyingStreamCommodityDesc
    (42025, 42026), // EncodedUnderlyingAdditionalTermBondIssuer
    (42171, 42172), // EncodedUnderlyingProvisionText
    (42451, 42452), // LegPaymentStreamFormulaImage
    (42652, 42653), // PaymentStreamFormulaImage
    (42947, 42948), // UnderlyingPaymentStreamFormulaImage
    (43109, 42684), // PaymentStreamFormula
    (43110, 42486), // LegPaymentStreamFormula
    (43111, 42982), // UnderlyingPaymentStreamFormula
];

/// Bitmap of length tags below 1024: a cheap first test on the parse hot path.
const SMALL_LEN_TAGS: [u64; 16] = small_bitmap();

const fn small_bitmap() -> [u64; 16] {
    let mut bits = [0u64; 16];
    let mut i = 0;
    while i < LEN_DATA_PAIRS.len() {
        let t = LEN_DATA_PAIRS[i].0;
        if t < 1024 {
            bits[(t >> 6) as usize] |= 1 << (t & 63);
        }
        i += 1;
    }
    bits
}

/// The data tag whose byte count `tag` announces, if `tag` is a length tag.
#[inline]
pub fn data_tag_for(tag: Tag) -> Option<Tag> {
    if tag < 1024 {
        let word = SMALL_LEN_TAGS
            .get((tag >> 6) as usize)
            .copied()
            .unwrap_or(0);
        if word >> (tag & 63) & 1 == 0 {
            return None;
        }
    }
    LEN_DATA_PAIRS
        .binary_search_by_key(&tag, |p| p.0)
        .ok()
        .and_then(|i| LEN_DATA_PAIRS.get(i))
        .map(|p| p.1)
}

/// The length tag that announces the data field `tag`, if `tag` is a data tag.
pub fn len_tag_for(tag: Tag) -> Option<Tag> {
    LEN_DATA_PAIRS.iter().find(|p| p.1 == tag).map(|p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_knows_standard_pairs() {
        assert!(LEN_DATA_PAIRS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(data_tag_for(95), Some(96));
        assert_eq!(data_tag_for(212), Some(213));
        assert_eq!(data_tag_for(93), Some(89));
        assert_eq!(data_tag_for(90), Some(91));
        assert_eq!(data_tag_for(354), Some(355));
        assert_eq!(data_tag_for(1184), Some(1185));
        assert_eq!(data_tag_for(96), None);
        assert_eq!(data_tag_for(35), None);
        assert_eq!(data_tag_for(5000), None);
        assert_eq!(len_tag_for(89), Some(93));
    }
}
