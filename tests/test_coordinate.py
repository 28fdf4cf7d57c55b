"""Dantzig-Wolfe coordination of blocks sharing a resource, by hand."""
import numpy as np
import pytest

from optimize.coordinate import NotCoordinated, Proposal, dantzig_wolfe


def linear_blocks(profits, upper):
    """Blocks that each choose x in [0, upper] to earn profit per unit (a
    minimisation of -profit x), using x of the shared resource 'r'."""
    def price(prices):
        out = []
        for c, u in zip(profits, upper):
            x = u if prices["r"] < c else 0.0
            out.append(Proposal(-c * x, {"r": x}, x))
        return out
    return price


def plans(res):
    return [sum(w * p.solution for w, p in zip(ws, ps)) for ws, ps in zip(res.weights, res.proposals)]


def test_a_binding_share_goes_to_the_block_that_earns_most_and_is_priced_at_the_margin():
    # capacity 12 for two blocks of 10: the first (3 per unit) takes 10, the
    # second (2 per unit) the other 2; the resource's price is the second's
    # margin, 2; the objective is -(3 x 10 + 2 x 2) = -34
    res = dantzig_wolfe(linear_blocks([3.0, 2.0], [10.0, 10.0]), {"r": 12.0})
    assert res.objective == pytest.approx(-34.0) and res.lower_bound == pytest.approx(-34.0)
    assert plans(res) == pytest.approx([10.0, 2.0])
    assert res.prices["r"] == pytest.approx(2.0)
    assert all(sum(w) == pytest.approx(1.0) for w in res.weights)


def test_a_share_that_does_not_bind_is_settled_in_the_first_round_at_price_zero():
    res = dantzig_wolfe(linear_blocks([3.0, 2.0], [10.0, 10.0]), {"r": 25.0})
    assert res.rounds == 1 and res.prices["r"] == 0.0 and res.objective == pytest.approx(-50.0)


def test_three_blocks_and_two_resources_match_the_joint_lp():
    from scipy.optimize import linprog

    rng = np.random.default_rng(4)
    n, m = 3, 2  # each block: 4 activities with random profits and resource uses, bounds [0, 5]
    profit = rng.uniform(1, 5, (n, 4))
    use = rng.uniform(0, 2, (n, m, 4))
    cap = np.array([6.0, 5.0])

    def price(prices):
        pi = np.array([prices[k] for k in ("a", "b")])
        out = []
        for b in range(n):
            res = linprog(-profit[b] + pi @ use[b], bounds=[(0, 5)] * 4, method="highs")
            x = res.x
            out.append(Proposal(float(-profit[b] @ x), dict(zip(("a", "b"), (use[b] @ x).tolist())), x))
        return out

    res = dantzig_wolfe(price, {"a": cap[0], "b": cap[1]})
    A = np.hstack([use[b] for b in range(n)])
    joint = linprog(-profit.ravel(), A_ub=A, b_ub=cap, bounds=[(0, 5)] * (4 * n), method="highs")
    assert res.objective == pytest.approx(joint.fun, rel=1e-6)
    x = np.concatenate(plans(res))
    assert (A @ x <= cap + 1e-7).all()  # the coordinated plans keep the shared rows
    assert -profit.ravel() @ x == pytest.approx(joint.fun, rel=1e-6)


def test_capacities_no_plan_can_keep_are_refused():
    def price(prices):
        return [Proposal(0.0, {"r": 5.0}, None)]  # the block must use 5 whatever the price
    with pytest.raises(NotCoordinated, match="cannot meet"):
        dantzig_wolfe(price, {"r": 3.0})
