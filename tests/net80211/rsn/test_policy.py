"""Cipher and AKM negotiation: an AP's policy against a STA's RSNE."""

import pytest

from net80211.rsn.policy import ApPolicy, Mfp, Refusal, Selection, StaPolicy
from net80211.wire.mgmt import StatusCode
from net80211.wire.rsn import AKM, Cipher, RSNCap, RSNInfo

C, A = Cipher, AKM


def sta(**kw) -> RSNInfo:
    base = dict(group_cipher=C.CCMP_128, pairwise=(C.CCMP_128,), akms=(A.PSK,), capabilities=0)
    base.update(kw)
    return RSNInfo(**base)


def test_a_matching_request():
    sel = ApPolicy().negotiate(sta().body())
    assert sel == Selection(A.PSK, C.CCMP_128, C.CCMP_128, False, None)


@pytest.mark.parametrize(("ap", "request_", "status"), [
    (ApPolicy(), b"\x01\x00\x00\x0f\xac\x04\x00\x00", StatusCode.INVALID_ELEMENT),
    (ApPolicy(), sta(version=2), StatusCode.UNSUPP_RSN_IE_VERSION),
    (ApPolicy(), sta(group_cipher=C.TKIP), StatusCode.INVALID_GROUP_CIPHER),
    (ApPolicy(), sta(akms=(A.SAE,)), StatusCode.INVALID_AKMP),
    (ApPolicy(), sta(pairwise=(C.GCMP_256,)), StatusCode.INVALID_PAIRWISE_CIPHER),
    (ApPolicy(mfp=Mfp.OPTIONAL), sta(capabilities=RSNCap.MFPR), StatusCode.INVALID_RSN_IE_CAP),
    (ApPolicy(mfp=Mfp.REQUIRED), sta(), StatusCode.ROBUST_MGMT_POLICY),
    (ApPolicy(), sta(capabilities=RSNCap.MFPC | RSNCap.MFPR), StatusCode.ROBUST_MGMT_POLICY),
    (ApPolicy(mfp=Mfp.OPTIONAL), sta(capabilities=RSNCap.MFPC, pmkids=(), group_mgmt_cipher=C.BIP_GMAC_256),
     StatusCode.CIPHER_SUITE_REJECTED),
])
def test_refusals(ap, request_, status):
    out = ap.negotiate(request_.body() if isinstance(request_, RSNInfo) else request_)
    assert isinstance(out, Refusal) and out.status == status and out.why


def test_the_strongest_common_choice():
    ap = ApPolicy(akms=(A.PSK, A.SAE), pairwise=(C.CCMP_128, C.GCMP_256))
    sel = ap.negotiate(sta(pairwise=(C.CCMP_128, C.GCMP_256), akms=(A.PSK, A.SAE)))
    assert isinstance(sel, Selection) and (sel.akm, sel.pairwise) == (A.SAE, C.GCMP_256)


def test_mfp_optional_on_both_sides():
    ap = ApPolicy(mfp=Mfp.OPTIONAL)
    assert ap.rsne().capabilities == RSNCap.MFPC
    sel = ap.negotiate(sta(capabilities=RSNCap.MFPC))
    assert isinstance(sel, Selection) and sel.mfp and sel.group_mgmt == C.BIP_CMAC_128
    sel = ap.negotiate(sta())
    assert isinstance(sel, Selection) and not sel.mfp and sel.group_mgmt is None


@pytest.mark.parametrize(("ap", "sta_policy"), [
    (ApPolicy(), StaPolicy()),
    (ApPolicy(akms=(A.PSK, A.SAE), mfp=Mfp.REQUIRED, pairwise=(C.CCMP_128, C.GCMP_256)), StaPolicy()),
    (ApPolicy(akms=(A.PSK_SHA256,), mfp=Mfp.OPTIONAL, group_mgmt=C.BIP_GMAC_256),
     StaPolicy(mfp=Mfp.REQUIRED)),
])
def test_a_sta_request_built_from_the_beacon_is_accepted(ap, sta_policy):
    chosen = sta_policy.select(ap.rsne().body())
    assert chosen is not None
    sel, req = chosen
    assert len(req.pairwise) == 1 and len(req.akms) == 1
    assert ap.negotiate(req.body()) == sel


@pytest.mark.parametrize(("ap", "sta_policy"), [
    (ApPolicy(mfp=Mfp.REQUIRED), StaPolicy(mfp=Mfp.DISABLED)),
    (ApPolicy(), StaPolicy(mfp=Mfp.REQUIRED)),
    (ApPolicy(akms=(A.SAE,)), StaPolicy(akms=(A.PSK,))),
    (ApPolicy(group=C.TKIP), StaPolicy()),
])
def test_a_sta_passes_over_an_unacceptable_ap(ap, sta_policy):
    assert sta_policy.select(ap.rsne().body()) is None
