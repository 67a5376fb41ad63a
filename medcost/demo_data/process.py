"""The constants of the demo generating process, calibrated against MEPS (see bench/README.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    """The constants of the generating process (calibrated against MEPS; see bench/README.md)."""

    # population at first_year: age bands and their shares (working + retired insured)
    age_bands: tuple[tuple[int, int], ...] = ((18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 75), (75, 86))
    age_shares: tuple[float, ...] = (0.10, 0.17, 0.17, 0.17, 0.17, 0.14, 0.08)
    female_share: float = 0.51
    region_shares: tuple[float, ...] = (0.22, 0.23, 0.31, 0.24)
    plan_shares: tuple[float, ...] = (0.25, 0.40, 0.25, 0.10)
    # enrolment
    enrolled_before: float = 0.80  # share enrolled before first_year
    tenure_years: float = 4.0  # mean years enrolled before first_year
    leave_rate: float = 0.08  # yearly hazard of leaving
    # claim frequency: log rate = base + age + bmi + smoking + conditions + ... + risk
    base_log_rate: float = 0.6
    age_slope: float = 0.009  # per year of age
    bmi_slope: float = 0.02
    smoker_effect: float = 0.25
    condition_effects: tuple[float, ...] = (0.35, 0.15, 0.40, 0.35)
    young_female_effect: float = 0.20  # maternity and gynaecology, under 45
    region_effects: tuple[float, ...] = (0.08, -0.06, 0.04, -0.04)
    plan_effects: tuple[float, ...] = (-0.22, 0.0, 0.12, 0.22)
    frailty_sd: float = 0.30  # fixed personal risk: normal part...
    frailty_low: float = 1.3  # ...minus an exponential (a long tail of low utilisers)
    ar_sd: float = 0.25  # stationary sd of the yearly AR(1) risk
    ar_rho: float = 0.6
    # a severe episode (cancer treatment, dialysis, transplant...): a Markov state per year
    severe_logit: float = -6.3  # yearly odds of entering, at 40, without conditions
    severe_age: float = 0.02
    severe_conditions: tuple[float, ...] = (0.3, 0.2, 0.6, 0.5)
    severe_risk: float = 0.4  # per unit of frailty + AR risk
    severe_stay: float = 0.66  # probability an episode carries into the next year
    severe_rate: float = 0.8  # added to the log claim rate
    severe_mix: tuple[float, ...] = (0.8, 1.0, 0.3, 0.8, 0.0)  # added to the category logits
    severe_sev: tuple[float, ...] = (0.0, 0.7, 0.0, 1.8, 0.0)  # added to the log severities (specialty drugs...)
    # category mix: softmax(mix_base + mix_risk * (log rate - base_log_rate))
    mix_base: tuple[float, ...] = (-3.5, -0.65, -2.45, 0.45, 0.0)
    mix_risk: tuple[float, ...] = (0.30, 0.10, 0.20, 0.05, -0.20)
    # severity: lognormal(mu, sigma) per category, times exp(sev_age * (age - 40))
    sev_mu: tuple[float, ...] = (9.6, 6.9, 7.1, 4.6, 5.4)
    sev_sigma: tuple[float, ...] = (0.95, 1.1, 0.9, 1.6, 0.6)
    sev_age: float = 0.006
    catastrophic_p: float = 0.006  # share of inpatient claims that are catastrophic
    catastrophic_mu: float = 11.9
    catastrophic_sigma: float = 0.8
    # dirty values in clients
    bmi_null: float = 0.03
    bmi_error: float = 0.005
    odd_text: float = 0.02
    smoker_null: float = 0.01
    children_null: float = 0.005


PROCESS = Process()
