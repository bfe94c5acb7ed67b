// Tests of Quant.
