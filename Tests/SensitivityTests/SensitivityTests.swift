// Tests of Sensitivity.
