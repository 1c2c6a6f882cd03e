"""The bridge from handshake actions to the data path's key state: apply
`InstallPtk` / `InstallGtk` / `InstallIgtk` to a `KeyTable` and a node's
`NodeKeys`, hand every other action back.  What a vap does with the actions
of its Authenticator or Supplicant before it sends frames and arms timers."""

from __future__ import annotations

from collections.abc import Iterable

from ..crypto.keys import Key, KeyTable, NodeKeys
from .actions import Action, InstallGtk, InstallIgtk, InstallPtk

__all__ = ["install_keys"]


def install_keys(actions: Iterable[Action], table: KeyTable, node: NodeKeys, *,
                 mfp: bool = False) -> list[Action]:
    """Install the keys the actions carry, in order; return the others.

    A supplicant's group keys are receive keys, started at the RSC/IPN the
    authenticator sent (12.7.6.4): frames numbered up to it are replays.
    The authenticator's own group keys are `GroupKeys`' Key objects, which
    the vap installs itself; its only install action is the pairwise key.
    `mfp`: the association protects management frames (the node's flag)."""
    rest: list[Action] = []
    for act in actions:
        if isinstance(act, InstallPtk):
            node.install(Key(act.cipher, act.tk, act.keyix))
            node.mfp = mfp
        elif isinstance(act, InstallGtk):
            key = Key(act.cipher, act.key, act.keyid)
            key.set_rsc(act.rsc)
            table.install(key, tx=act.tx)
        elif isinstance(act, InstallIgtk):
            key = Key(act.cipher, act.key, act.keyid)
            key.set_rsc(act.ipn)
            table.install(key, tx=False)
        else:
            rest.append(act)
    return rest
