"""Measuring how well a trained assistant does.

:mod:`parley.evaluation.nlu` scores an NLU pipeline on test examples or by cross-validation
and writes Rasa-style report files. Nothing is imported here, so that importing a light part
(the report types) does not pull in scikit-learn and matplotlib.
"""
