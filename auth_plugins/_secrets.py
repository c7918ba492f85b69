"""Credential values as the rest of the package holds them: masked in every ``repr``, never pickled.

One rule for every signer and client: none of them pickles (a pickle is bytes that travel to disk and other
processes; there is no safe way to put a secret into them). Pickling one raises ``TypeError`` saying what to do.
Errors still pickle: they hold no secret.
"""

from __future__ import annotations

__all__ = ["MaskedKey", "Secret", "Unpicklable"]


class Unpicklable:
    """Mixin: pickling, copying or deep-copying the object raises ``TypeError`` (it holds credentials).

    The message names the class, or ``_pickled_as`` where a class is only reached through another object (a
    generated client pickles its hooks)."""

    __slots__ = ()
    _pickled_as: str = ""

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        raise TypeError(
            f"{self._pickled_as or type(self).__name__} holds credentials and cannot be pickled or copied; "
            "build it again (make_client, client_from_env) in the process that needs it"
        )


class Secret(str):
    """A credential as a ``str`` (signers use it as one) whose ``repr`` hides it, so that tools printing frame
    locals (``pytest --showlocals``, error trackers, ``traceback`` with ``capture_locals``) never show it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'[secret]'"

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        raise TypeError("a credential cannot be pickled; build the client again where it is needed")


class MaskedKey(str):
    """An API key whose ``repr`` is masked (``'vmPU…Eh8A'``; keys under 16 characters: ``'…'``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'…'" if len(self) < 16 else f"'{self[:4]}…{self[-4:]}'"
