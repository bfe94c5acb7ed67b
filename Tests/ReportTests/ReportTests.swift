// Tests of Report.
