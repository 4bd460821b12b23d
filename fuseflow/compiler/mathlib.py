"""Vectorizable math in LLVM IR: exp, expm1, log, log1p, tanh, sigmoid, erf.

Every function is straight-line code (selects, no branches, no libm calls), so the loop
vectorizer turns it into SIMD code, and it works unchanged on vector types. Special values
(NaN, +-Inf, +-0, denormals) are handled without fast-math flags that would let LLVM drop them
(nnan, ninf): exp, tanh and sigmoid clamp their argument with compares that NaN fails, so NaN
flows through the arithmetic (one min/max each, no result selects), and build 2**n in factors
that stay normal so that overflow and denormal results round once; the others select on x.

Polynomials are minimax fits (float32 exp, expm1(2s) for tanh) or Taylor series on small reduced
ranges (float64 exp, log) where that costs only a term or two more, and Chebyshev fits of
erfc(x)*exp(x^2) where it does not (erf). The float32 tanh/sigmoid/exp kernels are within
2.6 / 2.4 / 1.1 ulp of the float64 result over all float32 inputs swept.
"""

from __future__ import annotations

import math

from llvmlite import ir

from fuseflow.compiler.irtypes import const, int_like, is_double, scalar_of

# expm1(2s) = 2s + s^2 q(s) on |s| <= ln2/4: q's coefficients, relative minimax fit, 1.3e-8.
# exp(r) on [-ln2/2, ln2/2]: 1 + r + r^2 q(r), relative minimax fit, 3.1e-9 (one term less
# than the Taylor series at the same accuracy). bench/fit_mathlib.py fits both.
_EXPM1_2X_F32 = (1.9999999262016752, 1.3333234935964517, 0.6666751952764306,
                 0.26772844757713027, 0.08884811330830032)
_EXP_F32 = (1.0, 1.0, 0.4999999343204497, 0.1666652039786648, 0.041668390796573404,
            0.008368745246031636, 0.0013814539989844467)
# Chebyshev coefficients of erfc(x) * exp(x^2) on [a, b], interpolated at 40-digit precision
# (mpmath) in the variable u = (2x - a - b) / (b - a); evaluated with Clenshaw's recurrence.
_ERFC_F32 = (  # [1, 4]; relative error 1.4e-7 in float32, i.e. < 1 ulp of erf
    0.24442575284923573, -0.13589862891594598, 0.035635114148534965, -0.008884098618222471,
    0.0021184239975530544, -0.00048539876407924996, 0.000107273754532751,
    -2.2936634451047057e-05, 4.756874502919963e-06, -9.589933490288507e-07,
    1.882833674413364e-07, -3.6024327066982936e-08, 6.526287040003729e-09,
)
_ERFC_F64_A = (  # [1, 2.5]
    0.3017138902444292, -0.10574990110152695, 0.017104848474406763, -0.002587682261135065,
    0.0003696145268036729, -5.0198560605167956e-05, 6.517935170561901e-06,
    -8.126449775613485e-07, 9.763690285483578e-08, -1.133813656364367e-08,
    1.2757869239497698e-09, -1.3939984728303207e-10, 1.4818660272094163e-11,
    -1.535083855929383e-12, 1.5518968060618384e-13, -1.5330737574030452e-14,
    1.4816184781678304e-15, -1.402286502259275e-16, 1.3009170665632648e-17,
    -1.1749179704724222e-18,
)
_ERFC_F64_B = (  # [2.5, 4]
    0.17008220017856512, -0.036520514785627234, 0.003783458700961749, -0.0003794134490812505,
    3.692690022594374e-05, -3.4957223835851204e-06, 3.224885907828553e-07,
    -2.903920167622488e-08, 2.5560460324003925e-09, -2.201984729141417e-10,
    1.8586988106620702e-11, -1.5388257596550946e-12, 1.250688261060476e-13,
    -9.987216504330586e-15, 7.841521227147795e-16, -6.05778215963607e-17,
    4.607413879956804e-18, -3.4520925947831887e-19, 2.5492401292279832e-20,
    -1.8470275073546595e-21,
)
_ERFC_F64_C = (  # [4, 6]
    0.11277819743166245, -0.021913497155272348, 0.0020915397845687493,
    -0.00019628624819122983, 1.8126654238718202e-05, -1.6483628246572167e-06,
    1.4769699327777977e-07, -1.3047490253442588e-08, 1.136975347104367e-09,
    -9.778180226640498e-11, 8.303212348062975e-12, -6.964650842590714e-13,
    5.772832164827166e-14, -4.730148558369873e-15, 3.832714974411841e-16,
    -3.072023314979137e-17, 2.4364677165527356e-18, -1.9126661411006228e-19,
    1.486493931966838e-20, -1.1375699378924934e-21,
)


class _Format:
    """Constants of one IEEE format; Taylor degrees chosen so the truncation is < 0.1 ulp."""

    def __init__(self, double: bool):
        self.bits, self.mbits, self.bias = (64, 52, 1023) if double else (32, 23, 127)
        # exp overflows above hi and underflows to 0 below lo.
        self.exp_hi, self.exp_lo = (709.782712893384, -745.1332191019412) if double else \
            (88.72284, -103.97208)
        # ln 2 split so that n * hi is exact for every n the reductions produce.
        self.ln2_hi, self.ln2_lo = (6.93147180369123816490e-01, 1.90821492927058770002e-10) \
            if double else (0.693359375, -2.12194440e-4)
        self.exp_terms = [1 / math.factorial(k) for k in range(15)] if double else _EXP_F32
        self.expm1_terms = [1 / math.factorial(k + 2) for k in range(13 if double else 7)]
        self.log_terms = [2 / (2 * k + 3) for k in range(12 if double else 6)]
        self.erf_terms = [2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                          for n in range(19 if double else 11)]
        self.tiny = 2.2250738585072014e-308 if double else 1.1754943508222875e-38
        self.erf_cut = 6.0 if double else 4.0
        self.tanh_cut = 20.0  # tanh(20) rounds to 1 in both formats; exp(40) stays finite
        self.shifter = 1.5 * 2.0 ** self.mbits
        self.exp_clamp = (-750.0, 711.0) if double else (-105.0, 100.0)


class IRMath:
    """Emit math functions on values of one float type (scalar or vector) with `builder`."""

    def __init__(self, builder: ir.IRBuilder, ty: ir.Type):
        self.b = builder
        self.ty = ty
        self.ity = int_like(ty)
        self.fmt = _Format(is_double(ty))

    # -- small helpers -------------------------------------------------------------------------
    def c(self, value: float) -> ir.Constant:
        return const(self.ty, value)

    def ci(self, value: int) -> ir.Constant:
        return const(self.ity, value)

    def intrinsic(self, name: str, *args: ir.Value, ty: ir.Type | None = None) -> ir.Value:
        return call_intrinsic(self.b, name, ty or self.ty, args)

    def fma(self, a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
        return self.intrinsic("fmuladd", a, b, c)

    def horner(self, x: ir.Value, coefs) -> ir.Value:
        acc = self.c(coefs[-1])
        for coef in reversed(coefs[:-1]):
            acc = self.fma(acc, x, self.c(coef))
        return acc

    def estrin(self, x: ir.Value, coefs) -> ir.Value:
        """The polynomial by Estrin's scheme: more multiplies than Horner, half the latency.

        Kernels are latency-bound when a long dependency chain per element fills the core's
        reorder window; short chains let independent elements overlap.
        """
        if len(coefs) <= 3:
            return self.horner(x, coefs)
        terms = [self.fma(self.c(coefs[k + 1]), x, self.c(coefs[k])) if k + 1 < len(coefs)
                 else self.c(coefs[k]) for k in range(0, len(coefs), 2)]
        power = self.b.fmul(x, x)
        while len(terms) > 1:
            terms = [self.fma(terms[k + 1], power, terms[k]) if k + 1 < len(terms) else terms[k]
                     for k in range(0, len(terms), 2)]
            if len(terms) > 1:
                power = self.b.fmul(power, power)
        return terms[0]

    def leading_exact(self, x: ir.Value, coefs) -> ir.Value:
        """c0 + x * P(x), P by Estrin: the last step rounds once onto an exact c0.

        Plain Estrin adds c0 + c1 x (rounded) to the rest: ~1 ulp where this gives ~0.5,
        for 4 cycles more latency; Horner is as accurate and twice as deep.
        """
        return self.fma(x, self.estrin(x, coefs[1:]), self.c(coefs[0]))

    def gt(self, x, y):
        return self.b.fcmp_ordered(">", x, y)

    def lt(self, x, y):
        return self.b.fcmp_ordered("<", x, y)

    def isnan(self, x):
        return self.b.fcmp_unordered("uno", x, x)

    def select(self, cond, x, y):
        return self.b.select(cond, x, y)

    def pow2(self, n: ir.Value) -> ir.Value:
        """2**n for an integer n within the normal exponent range."""
        biased = self.b.add(n, self.ci(self.fmt.bias))
        return self.b.bitcast(self.b.shl(biased, self.ci(self.fmt.mbits)), self.ty)

    def _clamp_for_exp(self, x):
        f = self.fmt
        xc = self.select(self.gt(x, self.c(f.exp_hi)), self.c(f.exp_hi), x)
        xc = self.select(self.lt(xc, self.c(f.exp_lo)), self.c(f.exp_lo), xc)
        # NaN becomes 0 here so no poison flows through fptosi; the result select restores it.
        return self.select(self.isnan(x), self.c(0.0), xc)

    def _reduce(self, x):
        """x = n ln2 + r with |r| <= ln2 / 2 (Cody-Waite)."""
        f = self.fmt
        n = self.intrinsic("rint", self.b.fmul(x, self.c(1 / math.log(2))))
        r = self.fma(n, self.c(-f.ln2_hi), x)
        r = self.fma(n, self.c(-f.ln2_lo), r)
        return self.b.fptosi(n, self.ity), r

    def _specials(self, x, result, above, below):
        f = self.fmt
        result = self.select(self.gt(x, self.c(f.exp_hi)), self.c(above), result)
        result = self.select(self.lt(x, self.c(f.exp_lo)), self.c(below), result)
        return self.select(self.isnan(x), x, result)

    # -- the functions -------------------------------------------------------------------------
    def exp(self, x: ir.Value) -> ir.Value:
        f, b = self.fmt, self.b
        # Clamped where the result is already 0 or inf; NaN fails both compares, flows on
        # and comes out of the polynomial (and so of every product) as NaN.
        xc = self.select(self.lt(x, self.c(f.exp_clamp[0])), self.c(f.exp_clamp[0]), x)
        xc = self.select(self.gt(xc, self.c(f.exp_clamp[1])), self.c(f.exp_clamp[1]), xc)
        # n = round(x / ln2) by the shifter trick: t's low mantissa bits hold n, and shifting
        # them into the exponent field drops the shifter's own bits (no float->int convert).
        t = self.fma(xc, self.c(1 / math.log(2)), self.c(f.shifter))
        n_float = b.fsub(t, self.c(f.shifter))
        r = self.fma(n_float, self.c(-f.ln2_hi), xc)
        r = self.fma(n_float, self.c(-f.ln2_lo), r)
        p = self.leading_exact(r, f.exp_terms)
        # 2**n as two normal factors 2**(n - n // 2) * 2**(n // 2): the first product is
        # exact, the second rounds once, to a denormal or to inf where the result is one.
        n = b.sub(b.bitcast(t, self.ity), b.bitcast(self.c(f.shifter), self.ity))
        half = b.ashr(n, self.ci(1))
        return b.fmul(b.fmul(p, self.pow2(b.sub(n, half))), self.pow2(half))

    def expm1(self, x: ir.Value) -> ir.Value:
        n, r = self._reduce(self._clamp_for_exp(x))
        em = self.fma(self.b.fmul(r, r), self.horner(r, self.fmt.expm1_terms), r)
        # 2**n * (em + 1) - 1 = 2**n2 * (em * 2**n1 + (2**n1 - 2**-n2)): exact for n = 0.
        n1 = self.b.ashr(n, self.ci(1))
        n2 = self.b.sub(n, n1)
        t1 = self.pow2(n1)
        inner = self.fma(em, t1, self.b.fsub(t1, self.pow2(self.b.neg(n2))))
        result = self._specials(x, self.b.fmul(inner, self.pow2(n2)), math.inf, -1.0)
        return self.select(self.b.fcmp_ordered("==", x, self.c(0.0)), x, result)  # keeps -0

    def log(self, x: ir.Value) -> ir.Value:
        f, b = self.fmt, self.b
        denormal = self.lt(x, self.c(f.tiny))
        xs = self.select(denormal, b.fmul(x, self.c(2.0 ** f.mbits)), x)
        bits = b.bitcast(xs, self.ity)
        e = b.sub(b.lshr(bits, self.ci(f.mbits)), self.ci(f.bias))
        e = b.sub(e, self.select(denormal, self.ci(f.mbits), self.ci(0)))
        mant = b.or_(b.and_(bits, self.ci((1 << f.mbits) - 1)), self.ci(f.bias << f.mbits))
        m = b.bitcast(mant, self.ty)
        big = self.gt(m, self.c(math.sqrt(2.0)))
        m = self.select(big, b.fmul(m, self.c(0.5)), m)
        e = b.add(e, b.zext(big, self.ity))
        # log m = 2 atanh(s) with s = f / (2 + f); written as f - s (f - R) so that the
        # leading term f = m - 1 is exact and the rest is a small correction.
        fm = b.fsub(m, self.c(1.0))
        s = b.fdiv(fm, b.fadd(fm, self.c(2.0)))
        z = b.fmul(s, s)
        big_r = b.fmul(z, self.horner(z, f.log_terms))
        log_m = b.fsub(fm, b.fmul(s, b.fsub(fm, big_r)))
        ef = b.sitofp(e, self.ty)
        result = self.fma(ef, self.c(f.ln2_hi), self.fma(ef, self.c(f.ln2_lo), log_m))
        result = self.select(self.lt(x, self.c(0.0)), self.c(math.nan), result)
        result = self.select(b.fcmp_ordered("==", x, self.c(0.0)), self.c(-math.inf), result)
        result = self.select(b.fcmp_ordered("==", x, self.c(math.inf)), x, result)
        return self.select(self.isnan(x), x, result)

    def log1p(self, x: ir.Value) -> ir.Value:
        b = self.b
        u = b.fadd(x, self.c(1.0))
        d = b.fsub(u, self.c(1.0))
        # log(u) * x / (u - 1) cancels the rounding error of 1 + x (exact when u == 1).
        result = b.fmul(self.log(u), b.fdiv(x, d))
        result = self.select(b.fcmp_ordered("==", d, self.c(0.0)), x, result)
        return self.select(b.fcmp_ordered("==", x, self.c(math.inf)), x, result)

    def tanh(self, x: ir.Value) -> ir.Value:
        if not is_double(self.ty):
            return self._tanh_f32(x)
        b = self.b
        ax = self.intrinsic("fabs", x)
        ax = self.select(self.gt(ax, self.c(self.fmt.tanh_cut)), self.c(self.fmt.tanh_cut), ax)
        # tanh|x| = e / (e + 2) with e = expm1(2|x|): no cancellation near 0.
        e = self.expm1(b.fmul(ax, self.c(2.0)))
        t = b.fdiv(e, b.fadd(e, self.c(2.0)))
        return self.intrinsic("copysign", t, x)

    def _tanh_f32(self, x: ir.Value) -> ir.Value:
        """tanh|x| = e / (e + 2) with e = expm1(2|x|): one exp-like core, no select, one divide.

        The reduction 2|x| = n ln2 + 2s puts the factor 2 into the polynomial for expm1(2s);
        expm1(2|x|) = 2**n expm1(2s) + (2**n - 1) in one fma, exact at n = 0 so tiny |x| (and
        denormals) keep full precision.
        """
        f, b = self.fmt, self.b
        # tanh rounds to 1 from |x| = 9.01 on; 20 keeps 2**n normal. NaN fails the compare
        # and flows on: every step below propagates it.
        ax = self.intrinsic("fabs", x)
        ax = self.select(self.gt(ax, self.c(f.tanh_cut)), self.c(f.tanh_cut), ax)
        t = self.fma(ax, self.c(2 / math.log(2)), self.c(f.shifter))
        n_float = b.fsub(t, self.c(f.shifter))
        # One fma with ln2/2 rounded to the format: the error n * 1e-9 it leaves in s moves
        # tanh by < 0.1 ulp (its effect on expm1 is damped by 2 / (e + 2)**2 in tanh).
        s = self.fma(n_float, self.c(-math.log(2) / 2), ax)
        em_s = self.fma(b.fmul(s, s), self.estrin(s, _EXPM1_2X_F32), b.fadd(s, s))
        scale = self._pow2_from_shifted(t, 0)
        em = self.fma(scale, em_s, b.fsub(scale, self.c(1.0)))
        # em + 2 from the rounded em: their errors cancel in the quotient near 1.
        return self._with_sign_of(x, b.fdiv(em, b.fadd(em, self.c(2.0))))

    def _pow2_from_shifted(self, t: ir.Value, offset: int) -> ir.Value:
        """2**(n + offset), n in the low bits of t = shifter + n: the shifter shifts out."""
        b, f = self.b, self.fmt
        biased = b.add(b.bitcast(t, self.ity), self.ci(f.bias + offset))
        return b.bitcast(b.shl(biased, self.ci(f.mbits)), self.ty)

    def _with_sign_of(self, x: ir.Value, magnitude: ir.Value) -> ir.Value:
        """`magnitude` (>= 0 or NaN) with the sign bit of x: one and, one or."""
        b = self.b
        sign = b.and_(b.bitcast(x, self.ity), self.ci(-1 << (self.fmt.bits - 1)))
        return b.bitcast(b.or_(b.bitcast(magnitude, self.ity), sign), self.ty)

    def sigmoid(self, x: ir.Value) -> ir.Value:
        """e / (1 + e) for x < 0, 1 / (1 + e) otherwise, e = exp(-|x|); then one correction.

        The quotient q carries the rounding of 1 + e (up to 3.2 ulp in float32); q' =
        numer - e q (from the identity s = numer - e s) damps that error by e <= 1. The sign
        bit of x picks the numerator, which blendv reads without a compare.
        """
        f, b = self.fmt, self.b
        y = b.fneg(self.intrinsic("fabs", x))
        # Clamped where the result is 0 anyway; NaN fails the compare and propagates.
        y = self.select(self.lt(y, self.c(f.exp_clamp[0])), self.c(f.exp_clamp[0]), y)
        t = self.fma(y, self.c(1 / math.log(2)), self.c(f.shifter))
        n_float = b.fsub(t, self.c(f.shifter))
        r = self.fma(n_float, self.c(-f.ln2_hi), y)
        r = self.fma(n_float, self.c(-f.ln2_lo), r)
        # exp(r) * 2**-64 (exact: the coefficients are scaled) times 2**(n + 64), a normal
        # number for every n here: one multiply, so denormal results round once.
        # (Plain Estrin: leading_exact would take float32's worst case from 2.4 to 1.7 ulp
        # for 12% more time.)
        e = b.fmul(self.estrin(r, [c * 2.0 ** -64 for c in f.exp_terms]),
                   self._pow2_from_shifted(t, 64))
        negative = b.icmp_signed("<", b.bitcast(x, self.ity), self.ci(0))
        numer = self.select(negative, e, self.c(1.0))
        q = b.fdiv(numer, b.fadd(e, self.c(1.0)))
        return self.fma(b.fneg(e), q, numer)

    def erf(self, x: ir.Value) -> ir.Value:
        b, f = self.b, self.fmt
        ax = self.intrinsic("fabs", x)
        small = b.fmul(x, self.horner(b.fmul(x, x), f.erf_terms))
        al = self.select(self.lt(ax, self.c(1.0)), self.c(1.0), ax)
        al = self.select(self.gt(al, self.c(f.erf_cut)), self.c(f.erf_cut), al)
        large = b.fsub(self.c(1.0), b.fmul(self._exp_neg_square(al), self._erfc_scaled(al)))
        large = self.select(self.gt(ax, self.c(f.erf_cut)), self.c(1.0), large)
        large = self.intrinsic("copysign", large, x)
        return self.select(self.lt(ax, self.c(1.0)), small, large)

    def _exp_neg_square(self, x):
        """exp(-x*x), keeping the rounding error of x*x in float64 (it is amplified by x*x)."""
        b = self.b
        sq = b.fmul(x, x)
        if not is_double(self.ty):
            return self.exp(b.fneg(sq))
        err = self.intrinsic("fma", x, x, b.fneg(sq))
        return b.fmul(self.exp(b.fneg(sq)), b.fsub(self.c(1.0), err))

    def _erfc_scaled(self, x):
        """erfc(x) * exp(x*x) for x in [1, erf_cut], from the Chebyshev fits above."""
        if not is_double(self.ty):
            return self._clenshaw(x, [((1.0, 4.0), _ERFC_F32)])
        pieces = [((1.0, 2.5), _ERFC_F64_A), ((2.5, 4.0), _ERFC_F64_B), ((4.0, 6.0), _ERFC_F64_C)]
        return self._clenshaw(x, pieces)

    def _clenshaw(self, x, pieces):
        """Evaluate a piecewise Chebyshev series, choosing each lane's coefficients by select."""
        b = self.b
        masks = [b.fcmp_ordered(">=", x, self.c(lo)) for (lo, _), _ in pieces[1:]]

        def pick(values):
            chosen = self.c(values[0])
            for mask, value in zip(masks, values[1:]):
                chosen = self.select(mask, self.c(value), chosen)
            return chosen

        scale = pick([2 / (hi - lo) for (lo, hi), _ in pieces])
        shift = pick([-(hi + lo) / (hi - lo) for (lo, hi), _ in pieces])
        u = self.fma(x, scale, shift)
        two_u = b.fadd(u, u)
        b1, b2 = self.c(0.0), self.c(0.0)
        for k in range(len(pieces[0][1]) - 1, 0, -1):
            b1, b2 = b.fadd(self.fma(two_u, b1, b.fneg(b2)), pick([c[k] for _, c in pieces])), b1
        return b.fadd(self.fma(u, b1, b.fneg(b2)), pick([c[0] for _, c in pieces]))


def call_intrinsic(builder: ir.IRBuilder, name: str, ty: ir.Type, args) -> ir.Value:
    """Call the overloaded intrinsic `llvm.<name>` on type `ty` (declared on first use)."""
    from fuseflow.compiler.irtypes import mangle

    module = builder.module
    full = f"llvm.{name}.{mangle(ty)}"
    fn = module.globals.get(full)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ty, [a.type for a in args]), full)
    return builder.call(fn, list(args))


def emit(builder: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    """Emit math function `name` (exp, expm1, log, log1p, tanh, sigmoid, erf) of `x`."""
    return getattr(IRMath(builder, x.type), name)(x)


def scalar_type(x: ir.Value) -> ir.Type:
    return scalar_of(x.type)
