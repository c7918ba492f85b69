"""The ``rate_limit`` setting and the shared budget's pure parts: what a factory accepts, what it refuses
before anything is sent, the environment variable, fingerprints, key names, leases. No Redis server needed
(nothing here connects); tests/test_rate_limit_redis.py has the rest."""

from __future__ import annotations

from typing import Any, Final, cast

import httpx
import pytest
from okx_client.operations import Operation

from auth_plugins import RATE_LIMIT_ENV, ConfigurationError, RedisRateLimit, okx
from auth_plugins._generated import routes
from auth_plugins._ratelimit import (
    RATE_LIMIT_ACCOUNT_ENV,
    RATE_LIMIT_MASTER_ACCOUNT_ENV,
    RateLimitGate,
    account_labels_from_env,
    rate_limit_from_env,
    rate_limit_gates,
)
from auth_plugins._ratelimit_redis import budget_keys, mask_url, shared_fingerprint
from auth_plugins._ratelimit_redis._backend import close_shared_backends
from auth_plugins._ratelimit_redis._gate import SharedRateLimitGate, effective_window_ms, lease_ms
from auth_plugins.sandbox import OKX_CREDENTIALS

OKX_ROUTES: Final = routes("okx_client")

KEY: Final = OKX_CREDENTIALS.api_key
SECRETS: Final = (KEY, OKX_CREDENTIALS.api_secret, OKX_CREDENTIALS.passphrase)
PASSWORD: Final = "s3cret-redis-pw"
# The concrete generated entry (a NamedTuple), so the tests can _replace its rate limit.
MAX_LOAN: Final = cast(Operation, OKX_ROUTES[("GET", "/api/v5/account/max-loan")])


@pytest.fixture(autouse=True)
def _forget_backends() -> Any:
    yield
    close_shared_backends()


def _okx(**options: Any) -> Any:
    return okx.make_client(
        api_key=KEY,
        api_secret=OKX_CREDENTIALS.api_secret,
        passphrase=OKX_CREDENTIALS.passphrase,
        base_url="http://127.0.0.1:9",
        **options,
    )


def _limiters(client: Any) -> list[Any]:
    gates = client.get_httpx_client().pipeline.gates
    return [gate for gate in gates if isinstance(gate, RateLimitGate | SharedRateLimitGate)]


def test_true_false_a_url_and_settings_pick_the_gates() -> None:
    assert rate_limit_gates("OKX", KEY, False) == ()
    (local,) = rate_limit_gates("OKX", KEY, True)
    assert isinstance(local, RateLimitGate)
    for setting in ("redis://127.0.0.1:6379/0", RedisRateLimit("redis://127.0.0.1:6379/0")):
        (shared,) = rate_limit_gates("OKX", KEY, setting, secrets=SECRETS)
        assert isinstance(shared, SharedRateLimitGate)
    with pytest.raises(TypeError, match="rate_limit must be True, False"):
        rate_limit_gates("OKX", KEY, 1)  # type: ignore[arg-type]
    assert isinstance(_limiters(_okx(rate_limit="redis://127.0.0.1:6379/0"))[0], SharedRateLimitGate)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:6379/0", "the scheme must be redis://, rediss:// or unix://, not http"),
        ("127.0.0.1:6379", "the scheme must be"),
        (f"redis://:{PASSWORD}@", "no host"),
        (f"redis://:{PASSWORD}@127.0.0.1:99999/0", "the port must be a number from 1 to 65535"),
        (f"redis://:{PASSWORD}@127.0.0.1:port/0", "the port must be a number from 1 to 65535"),
        (f"redis://:{PASSWORD}@127.0.0.1:6379/zero", "the database must be a number"),
        ("unix://", "needs the socket's path"),
        (f"redis://:{PASSWORD}@127.0.0.1:6379/0?on_error=ignore", "on_error must be 'local' or 'raise'"),
        (f"redis://:{PASSWORD}@127.0.0.1:6379/0?ip_scope=two words", "ip_scope must be"),
        (
            f"redis://:{PASSWORD}@127.0.0.1:6379/0?socket_timeuot=1",
            "does not know the query parameter 'socket_timeuot'",
        ),
    ],
)
def test_a_bad_url_is_refused_when_the_client_is_built_naming_the_problem_never_the_password(
    url: str, message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        _okx(rate_limit=url)
    assert message in str(refused.value) and PASSWORD not in str(refused.value)


def test_the_urls_own_query_parameters_set_the_policy_and_the_rest_goes_to_redis_py() -> None:
    settings = RedisRateLimit.from_url("redis://h:6379/2?ip_scope=nat-eu-1&on_error=raise&socket_timeout=0.2")
    assert (settings.ip_scope, settings.on_error) == ("nat-eu-1", "raise")
    assert settings.url == "redis://h:6379/2?socket_timeout=0.2"
    assert (RedisRateLimit.from_url("redis://h").ip_scope, RedisRateLimit.from_url("redis://h").on_error) == (
        "shared",
        "local",
    )
    with pytest.raises(ValueError, match="pass ip_scope= as a keyword"):
        RedisRateLimit("redis://h:6379/0?ip_scope=x")
    bads: list[dict[str, Any]] = [{"lease_s": 0}, {"reconnect_min_s": -1}, {"reconnect_min_s": 5, "reconnect_max_s": 1}]
    for bad in bads:
        with pytest.raises(ValueError):
            RedisRateLimit("redis://h", **bad)


def test_the_password_is_masked_in_every_repr() -> None:
    url = f"redis://user:{PASSWORD}@10.0.0.5:6380/3?socket_timeout=1"
    assert mask_url(url) == "redis://user:***@10.0.0.5:6380/3"
    assert mask_url("redis://[::1]:6379/0") == "redis://[::1]:6379/0"
    settings = RedisRateLimit(url)
    (gate,) = rate_limit_gates("OKX", KEY, settings, secrets=SECRETS)
    for text in (repr(settings), str(settings), repr(gate)):
        assert PASSWORD not in text and "user:***@10.0.0.5:6380/3" in text
    assert not any(KEY[i : i + 6] in repr(gate) for i in range(len(KEY) - 5))


def test_the_environment_variable_sets_rate_limit_for_client_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rate_limit_from_env({}) is None
    for value, expected in (("0", False), ("off", False), ("1", True), ("yes", True)):
        assert rate_limit_from_env({RATE_LIMIT_ENV: value}) is expected
    setting = rate_limit_from_env({RATE_LIMIT_ENV: "redis://127.0.0.1:6379/0?on_error=raise"})
    assert setting == RedisRateLimit("redis://127.0.0.1:6379/0", on_error="raise")
    for bad in ("maybe", f"redis://:{PASSWORD}@127.0.0.1:x/0"):
        with pytest.raises(ValueError, match=f"environment variable {RATE_LIMIT_ENV}") as refused:
            rate_limit_from_env({RATE_LIMIT_ENV: bad})
        assert PASSWORD not in str(refused.value)

    monkeypatch.setenv("OKX_API_KEY", KEY)
    monkeypatch.setenv("OKX_API_SECRET", OKX_CREDENTIALS.api_secret)
    monkeypatch.setenv("OKX_PASSPHRASE", OKX_CREDENTIALS.passphrase)
    monkeypatch.setenv(RATE_LIMIT_ENV, "redis://127.0.0.1:6379/0")
    (gate,) = _limiters(okx.client_from_env())
    assert isinstance(gate, SharedRateLimitGate)
    monkeypatch.setenv(RATE_LIMIT_ENV, "0")
    assert _limiters(okx.client_from_env()) == []
    assert _limiters(okx.client_from_env(rate_limit=True)) != []  # what the caller passes wins


def test_the_fingerprint_is_stable_keyed_with_the_secrets_and_reveals_nothing_of_the_key() -> None:
    fingerprint = shared_fingerprint(KEY, SECRETS)
    assert fingerprint == shared_fingerprint(KEY, tuple(reversed(SECRETS)))  # order does not matter
    pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
    assert shared_fingerprint(KEY, (pem,)) == shared_fingerprint(KEY, (pem.replace("\n", "\r\n").strip(),))
    assert fingerprint != shared_fingerprint(KEY, (KEY, "another secret", OKX_CREDENTIALS.passphrase))
    assert fingerprint != shared_fingerprint("another key", SECRETS)
    assert len(fingerprint) == 32 and not any(KEY[i : i + 4] in fingerprint for i in range(len(KEY) - 3))
    # Pinned: every process and host, in any version of this package using rl1 keys, must agree.
    assert shared_fingerprint("key", ("secret",)) == shared_fingerprint("key", ("secret", "key"))
    assert shared_fingerprint("key", ("secret",)) == "eff84e4bc28d407fbe7f4368eb6200fc"


def test_budget_keys_windows_and_leases() -> None:
    assert budget_keys("exchange-clients", "OKX", "get_max_loan", ("api-key", "ab12"), 20, 2000) == (
        "exchange-clients:rl3:{OKX:get_max_loan:api-key:ab12:20:2000}:z",
        "exchange-clients:rl3:{OKX:get_max_loan:api-key:ab12:20:2000}:n",
    )
    assert (effective_window_ms(2_000), effective_window_ms(60_000)) == (2_010, 60_300)
    bare = httpx.Request("GET", "https://www.okx.com/api/v5/account/max-loan")
    assert lease_ms(bare, 2_010, 30.0) == 30_000
    with httpx.Client(timeout=httpx.Timeout(10.0)) as client:
        timed = client.build_request("GET", "https://www.okx.com/api/v5/account/max-loan")
        assert lease_ms(timed, 60_300, 30.0) == 100_300  # a window plus 4 x 10 s
    with httpx.Client(timeout=None) as client:
        untimed = client.build_request("GET", "https://www.okx.com/api/v5/account/max-loan")
        assert lease_ms(untimed, 2_010, 30.0) == 30_000


def test_user_budgets_follow_the_key_and_ip_budgets_the_scope_and_destination() -> None:
    def keys(api_key: str | None, settings: RedisRateLimit, operation: Any, host: str) -> tuple[str, str]:
        (gate,) = rate_limit_gates("OKX", api_key, settings, secrets=(api_key, "secret"))
        assert isinstance(gate, SharedRateLimitGate)
        found = gate._budget(operation, httpx.Request("GET", f"https://{host}{operation.path}"))
        assert found is not None
        return found[0].keys

    shared = RedisRateLimit("redis://127.0.0.1:6379/0")
    nat = RedisRateLimit("redis://127.0.0.1:6379/0", ip_scope="nat-eu-1")
    server_time = OKX_ROUTES[("GET", "/api/v5/public/time")]
    assert keys("k1", shared, MAX_LOAN, "a.okx.com") == keys("k1", nat, MAX_LOAN, "b.okx.com")
    assert keys("k1", shared, MAX_LOAN, "a.okx.com") != keys("k2", shared, MAX_LOAN, "a.okx.com")
    assert (
        keys("k1", shared, server_time, "a.okx.com")[0]
        == "exchange-clients:rl3:{OKX:get_server_time:ip:shared:https:a.okx.com:443:10:2000}:z"
    )
    assert keys("k1", shared, server_time, "a.okx.com") == keys("k2", shared, server_time, "a.okx.com")
    assert keys("k1", shared, server_time, "a.okx.com") != keys("k1", nat, server_time, "a.okx.com")
    assert keys(None, shared, MAX_LOAN, "a.okx.com")[0].startswith("exchange-clients:rl3:{OKX:get_max_loan:ip:shared:")


def test_account_budgets_are_per_key_unless_labelled_then_every_key_with_the_label_shares_them() -> None:
    def keys(api_key: str, operation: Any, **labels: str) -> tuple[str, str]:
        settings = RedisRateLimit("redis://127.0.0.1:6379/0")
        (gate,) = rate_limit_gates("OKX", api_key, settings, secrets=(api_key, "secret"), **labels)
        assert isinstance(gate, SharedRateLimitGate)
        found = gate._budget(operation, httpx.Request("GET", f"https://www.okx.com{operation.path}"))
        assert found is not None
        return found[0].keys

    rate = MAX_LOAN.rate_limit
    assert rate is not None and rate.keyed_on == "account"
    assert keys("k1", MAX_LOAN) != keys("k2", MAX_LOAN)
    assert keys("k1", MAX_LOAN, account="desk-1") == keys("k2", MAX_LOAN, account="desk-1")
    assert (
        keys("k1", MAX_LOAN, account="desk-1")[0] == "exchange-clients:rl3:{OKX:get_max_loan:account:desk-1:20:2000}:z"
    )
    assert keys("k1", MAX_LOAN, account="desk-1") != keys("k1", MAX_LOAN, account="desk-2")
    # A master-account limit: sub-accounts with their own labels share their master's budget.
    master = MAX_LOAN._replace(rate_limit=rate._replace(keyed_on="master-account"))
    sub_a = keys("k1", master, account="sub-a", master_account="main")
    assert sub_a == keys("k2", master, account="sub-b", master_account="main")
    assert sub_a[0] == "exchange-clients:rl3:{OKX:get_max_loan:master-account:main:20:2000}:z"
    assert keys("k1", master, account="main") == sub_a  # an account with no master is its own
    # An api-key limit stays per key whatever the label.
    per_key = MAX_LOAN._replace(rate_limit=rate._replace(keyed_on="api-key"))
    assert keys("k1", per_key, account="desk-1") != keys("k2", per_key, account="desk-1")


@pytest.mark.parametrize("label", ["", "has space", "{brace}", "x" * 201])
def test_a_bad_account_label_is_refused_when_the_client_is_built(label: str) -> None:
    with pytest.raises(ConfigurationError, match="rate_limit_account must be 1-200"):
        okx.make_client(api_key="k", api_secret="s", passphrase="p", rate_limit_account=label)


def _okx_env(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("OKX_API_KEY", key)
    monkeypatch.setenv("OKX_API_SECRET", OKX_CREDENTIALS.api_secret)
    monkeypatch.setenv("OKX_PASSPHRASE", OKX_CREDENTIALS.passphrase)
    monkeypatch.setenv("OKX_BASE_URL", "http://127.0.0.1:9")


def test_the_environment_variables_label_the_account_for_client_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert RATE_LIMIT_ACCOUNT_ENV == "EXCHANGE_CLIENTS_RATE_LIMIT_ACCOUNT"
    assert RATE_LIMIT_MASTER_ACCOUNT_ENV == "EXCHANGE_CLIENTS_RATE_LIMIT_MASTER_ACCOUNT"
    assert account_labels_from_env({}) == (None, None)
    assert account_labels_from_env({RATE_LIMIT_ACCOUNT_ENV: "", RATE_LIMIT_MASTER_ACCOUNT_ENV: ""}) == (None, None)
    labels = {RATE_LIMIT_ACCOUNT_ENV: "sub-a", RATE_LIMIT_MASTER_ACCOUNT_ENV: "main"}
    assert account_labels_from_env(labels) == ("sub-a", "main")
    request = httpx.Request("GET", "http://127.0.0.1:9/api/v5/account/max-loan")
    master = MAX_LOAN._replace(rate_limit=MAX_LOAN.rate_limit._replace(keyed_on="master-account"))  # type: ignore[union-attr]

    def budget(operation: Any, **options: Any) -> Any:
        with okx.client_from_env(**options) as client:
            (gate,) = _limiters(client)
            return gate.budget_key(operation, request)

    _okx_env(monkeypatch, "key-a")
    unlabelled = budget(MAX_LOAN)
    monkeypatch.setenv(RATE_LIMIT_ACCOUNT_ENV, "desk-1")
    labelled = budget(MAX_LOAN)
    assert labelled != unlabelled and labelled[2:4] == ("account", "desk-1")
    _okx_env(monkeypatch, "key-b")
    assert budget(MAX_LOAN) == labelled  # another key, the same label: one account budget
    assert budget(MAX_LOAN, rate_limit_account="desk-2")[2:4] == ("account", "desk-2")  # what the caller passes wins
    assert budget(master)[2:4] == ("master-account", "desk-1")  # no master label: the account is its own master
    monkeypatch.setenv(RATE_LIMIT_MASTER_ACCOUNT_ENV, "main")
    assert budget(master)[2:4] == ("master-account", "main")
    assert budget(MAX_LOAN) == labelled


@pytest.mark.parametrize("name", [RATE_LIMIT_ACCOUNT_ENV, RATE_LIMIT_MASTER_ACCOUNT_ENV])
@pytest.mark.parametrize("value", ["has space", "{brace}", "x" * 201, " "])
def test_a_bad_label_in_the_environment_is_refused_naming_the_variable_not_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        account_labels_from_env({name: value})
    assert str(refused.value).startswith(f"environment variable {name} must be 1-200")
    _okx_env(monkeypatch, KEY)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as refused:
        okx.client_from_env()
    message = str(refused.value)
    assert name in message and (value.strip() == "" or value not in message)
