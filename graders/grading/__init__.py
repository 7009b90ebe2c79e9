"""gradeschool.grading"""
