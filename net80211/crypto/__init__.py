"""Frame protection, sans-IO: the ciphers (`cipher`: CCMP-128/256,
GCMP-128/256; `bip`: BIP-CMAC/GMAC), the key state a vap and a node own
(`keys`) and the protect/unprotect path with its replay checks and drop
counters (`datapath`).  Imports `net80211.wire` only; AES comes from the
`cryptography` package."""

from .cipher import CryptoError
from .datapath import RxResult, protect, protect_group_mgmt, unprotect
from .keys import CryptoStats, Key, KeyTable, NodeKeys

__all__ = ["CryptoError", "CryptoStats", "Key", "KeyTable", "NodeKeys", "RxResult", "protect",
           "protect_group_mgmt", "unprotect"]
