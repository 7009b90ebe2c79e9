"""gradeschool.pictures"""
