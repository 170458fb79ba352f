"""The small-cell rule itself (xinli/core/smallcells.py), on hand-worked tables: primary suppression (1..threshold-1,
the complement of a rate), rates hidden with a part, and complementary suppression in a tree of units and in the
categories of a breakdown (docs/indicators.md "Small cells")."""

from decimal import Decimal

from xinli.core.smallcells import DERIVED, SMALL, hidden_counts, is_small, primary, protect_tree, suppress

C, A, B, X, Y = "/1/", "/1/2/", "/1/3/", "/1/2/4/", "/1/2/5/"


def test_small_means_one_to_threshold_minus_one():
    assert [n for n in range(0, 8) if is_small(n, 5)] == [1, 2, 3, 4]
    assert is_small(Decimal("3"), 5) and not is_small(Decimal("5"), 5) and not is_small(None, 5)
    assert [n for n in range(0, 5) if is_small(n, 2)] == [1]


def test_primary_hides_small_counts_and_a_small_complement():
    assert primary(3, 40, limit=5) == {"numerator": SMALL}
    assert primary(0, 3, limit=5) == {"denominator": SMALL}  # 0 is shown, the 3 is not
    assert primary(2, 3, limit=5) == {"numerator": SMALL, "denominator": SMALL}
    # 6 of 7 patients take their medication: the 1 who does not is as identifiable as "1 of 7".
    assert primary(6, 7, limit=5) == {"numerator": DERIVED}
    assert primary(7, 7, limit=5) == {}  # a complement of 0 is shown, like a count of 0
    # A denominator that does not count persons (the population of T11) is never hidden and has no complement.
    assert primary(3, 2999, limit=5, parts=("numerator",)) == {"numerator": SMALL}
    assert primary(2998, 3000, limit=5, parts=("numerator",)) == {}


def test_primary_complement_boundary():
    assert primary(5, 9, limit=5) == {"numerator": DERIVED}  # 9 - 5 = 4, a small complement
    assert primary(5, 10, limit=5) == {}  # 10 - 5 = 5, not small


def test_counts_of_one_unit_hide_their_rates():
    counts = {"population": 40, "in_register": 6, "managed": 5, "home": 0}
    rates = {"prevalence": 0.15, "management_rate": 5 / 6}
    parts = {"prevalence": ("in_register", "population"), "management_rate": ("managed", "in_register")}
    assert hidden_counts(counts, parts, limit=5, keep=("population",)) == {"managed": DERIVED}
    shown, shown_rates, names = suppress(counts, rates, parts, limit=5, keep=("population",))
    assert shown == {"population": 40, "in_register": 6, "managed": None, "home": 0}
    assert shown_rates == {"prevalence": 0.15, "management_rate": None} and names == ["managed"]


def test_one_hidden_unit_below_a_shown_total_takes_the_next_smallest_with_it():
    # County C 40/50 = A 30/38 + B 10/12; A's townships X 27/33 and Y 3/5.
    values = {(C, ""): {"numerator": 40, "denominator": 50}, (A, ""): {"numerator": 30, "denominator": 38},
              (B, ""): {"numerator": 10, "denominator": 12}, (X, ""): {"numerator": 27, "denominator": 33},
              (Y, ""): {"numerator": 3, "denominator": 5}}
    first = {key: primary(v["numerator"], v["denominator"], limit=5) for key, v in values.items()}
    first = {k: v for k, v in first.items() if v}
    # Primary: B's numerator (complement 12 - 10 = 2) and Y's numerator (3).
    assert first == {(B, ""): {"numerator": DERIVED}, (Y, ""): {"numerator": SMALL}}
    mask = protect_tree(values, first)
    # Under C: B is the one hidden numerator, so A's (the next smallest, 30) goes too: 40 - 30 no longer gives B.
    # Under A, now hidden itself: Y is hidden, nothing more is needed (X + Y = A, two unknowns).
    assert mask == {(B, ""): {"numerator": DERIVED}, (Y, ""): {"numerator": SMALL}, (A, ""): {"numerator": DERIVED}}


def test_a_shown_total_with_one_hidden_part_at_the_lowest_level():
    values = {(A, ""): {"numerator": 27, "denominator": 33}, (X, ""): {"numerator": 20, "denominator": 25},
              (Y, ""): {"numerator": 7, "denominator": 8}}
    mask = protect_tree(values, {(Y, ""): {"numerator": DERIVED}})  # Y: 8 - 7 = 1
    assert mask == {(Y, ""): {"numerator": DERIVED}, (X, ""): {"numerator": DERIVED}}  # 27 - 20 would give 7


def test_a_hidden_total_is_not_rebuilt_from_its_parts():
    # A's numerator hidden (complement 38 - 36 = 2); its townships' numerators 20 and 16 would add up to it.
    values = {(A, ""): {"numerator": 36, "denominator": 38}, (X, ""): {"numerator": 20, "denominator": 21},
              (Y, ""): {"numerator": 16, "denominator": 17}}
    first = {(A, ""): {"numerator": DERIVED}}
    assert protect_tree(values, first) == {(A, ""): {"numerator": DERIVED}, (Y, ""): {"numerator": DERIVED}}


def test_zero_siblings_are_taken_only_when_nothing_else_is_left():
    values = {(A, ""): {"numerator": 9, "denominator": None}, (X, ""): {"numerator": 0, "denominator": None},
              (Y, ""): {"numerator": 2, "denominator": None}, ("/1/2/6/", ""): {"numerator": 7, "denominator": None}}
    mask = protect_tree(values, {(Y, ""): {"numerator": SMALL}}, parts=("numerator",))
    assert mask[("/1/2/6/", "")] == {"numerator": DERIVED} and (X, "") not in mask
    values.pop(("/1/2/6/", ""))
    values[(A, "")] = {"numerator": 2, "denominator": None}
    mask = protect_tree(values, {(Y, ""): {"numerator": SMALL}, (A, ""): {"numerator": SMALL}}, parts=("numerator",))
    assert (X, "") not in mask  # the total is hidden too: nothing to subtract from


def test_breakdown_categories_of_a_shown_total():
    # SC2 of a county: 20 of 100 positive; women 3 of 40, men 17 of 60; ages 10/50 and 10/50.
    values = {
        (C, ""): {"numerator": 20, "denominator": 100}, (C, "sex=F"): {"numerator": 3, "denominator": 40},
        (C, "sex=M"): {"numerator": 17, "denominator": 60}, (C, "age=18-34"): {"numerator": 10, "denominator": 50},
        (C, "age=35-59"): {"numerator": 10, "denominator": 50}}
    mask = protect_tree(values, {(C, "sex=F"): {"numerator": SMALL}})
    assert mask == {(C, "sex=F"): {"numerator": SMALL}, (C, "sex=M"): {"numerator": DERIVED}}  # 20 - 17 = 3


def test_the_fixed_root_is_never_hidden_and_its_units_are_protected():
    values = {(C, ""): {"numerator": 4, "denominator": 50}, (A, ""): {"numerator": 3, "denominator": 30},
              (B, ""): {"numerator": 1, "denominator": 20}}
    first = {(C, ""): {"numerator": SMALL}, (A, ""): {"numerator": SMALL}, (B, ""): {"numerator": SMALL}}
    mask = protect_tree(values, first, fixed=[C])
    assert (C, "") not in mask and mask[(A, "")] == {"numerator": SMALL} and mask[(B, "")] == {"numerator": SMALL}
    values[(B, "")] = {"numerator": 9, "denominator": 20}
    mask = protect_tree(values, {(A, ""): {"numerator": SMALL}}, fixed=[C])
    assert mask == {(A, ""): {"numerator": SMALL}, (B, ""): {"numerator": DERIVED}}


def test_the_mask_of_a_group_is_the_same_whether_or_not_other_branches_are_loaded():
    full = {(C, ""): {"numerator": 40, "denominator": 50}, (A, ""): {"numerator": 30, "denominator": 38},
            (B, ""): {"numerator": 10, "denominator": 12}, (X, ""): {"numerator": 27, "denominator": 33},
            (Y, ""): {"numerator": 3, "denominator": 5}, ("/1/3/7/", ""): {"numerator": 10, "denominator": 12}}
    first = {(B, ""): {"numerator": DERIVED}, (Y, ""): {"numerator": SMALL}, ("/1/3/7/", ""): {"numerator": DERIVED}}
    whole = protect_tree(full, first)
    chain = {k: v for k, v in full.items() if k[0] != "/1/3/7/"}  # what the page of A loads: C's and A's units
    part = protect_tree(chain, {k: v for k, v in first.items() if k in chain})
    assert {k: v for k, v in whole.items() if k in chain} == part
