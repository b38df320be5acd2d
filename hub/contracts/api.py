from flask_openapi3 import APIBlueprint

api = APIBlueprint("contracts", __name__)
