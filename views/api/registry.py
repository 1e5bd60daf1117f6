"""REST APIs of the registries (DESIGN §10): the lookup tables ``city``, ``occupation``, ``skill_level``,
``training_institution``, ``subsidy_standard``, ``workday_override``, and ``enterprise`` and
``ecosystem_recognition``. Plain scoped FAB APIs whose saves and deletes go through actions/registry (the same
functions as the 基础数据 screens in ``views/registry.py``).
"""
from __future__ import annotations

from actions import registry
from models.enterprise import EcosystemRecognition, Enterprise
from models.lookups import City, Occupation, SkillLevel, SubsidyStandard, TrainingInstitution, WorkdayOverride
from views.base import ScopedModelRestApi, interface


class LookupApi(ScopedModelRestApi):
    save_action = registry.save_lookup
    delete_action = registry.delete_lookup


class CityApi(LookupApi):
    resource_name = "city"
    class_permission_name = "City"
    datamodel = interface(City)
    list_columns = show_columns = add_columns = edit_columns = ["code", "name", "sort_order"]


class OccupationApi(LookupApi):
    resource_name = "occupation"
    class_permission_name = "Occupation"
    datamodel = interface(Occupation)
    list_columns = show_columns = ["id", "code", "name", "work_types", "is_sample", "active"]
    add_columns = edit_columns = ["code", "name", "work_types", "is_sample", "active"]
    search_columns = ["code", "name"]


class SkillLevelApi(LookupApi):
    resource_name = "skill_level"
    class_permission_name = "SkillLevel"
    datamodel = interface(SkillLevel)
    list_columns = show_columns = add_columns = edit_columns = ["level", "name"]


class TrainingInstitutionApi(LookupApi):
    resource_name = "training_institution"
    class_permission_name = "TrainingInstitution"
    datamodel = interface(TrainingInstitution)
    list_columns = show_columns = ["id", "name", "uscc", "city_code", "address", "contact_name", "contact_phone",
                                   "active"]
    add_columns = edit_columns = ["name", "uscc", "city_code", "address", "contact_name", "contact_phone", "active"]
    search_columns = ["name", "uscc"]


class SubsidyStandardApi(LookupApi):
    resource_name = "subsidy_standard"
    class_permission_name = "SubsidyStandard"
    datamodel = interface(SubsidyStandard)
    list_columns = show_columns = ["id", "programme", "apprenticeship_type", "skill_level", "amount_yuan",
                                   "advance_ratio", "valid_from", "valid_to", "note"]
    add_columns = edit_columns = list_columns[1:]


class WorkdayOverrideApi(LookupApi):
    resource_name = "workday_override"
    class_permission_name = "WorkdayOverride"
    datamodel = interface(WorkdayOverride)
    list_columns = show_columns = add_columns = edit_columns = ["day", "is_workday", "note"]


class EnterpriseApi(ScopedModelRestApi):
    resource_name = "enterprise"
    class_permission_name = "Enterprise"
    datamodel = interface(Enterprise)
    save_action = registry.save_enterprise
    delete_action = registry.delete_enterprise
    list_columns = show_columns = ["id", "uscc", "name", "city_code", "address", "legal_representative",
                                   "contact_name", "contact_phone", "bank_name", "bank_account_name",
                                   "bank_account_no"]
    add_columns = edit_columns = list_columns[1:]
    search_columns = ["name", "uscc", "city_code"]


class EcosystemRecognitionApi(ScopedModelRestApi):
    resource_name = "ecosystem_recognition"
    class_permission_name = "EcosystemRecognition"
    datamodel = interface(EcosystemRecognition)
    save_action = registry.save_recognition
    delete_action = registry.delete_recognition
    list_columns = show_columns = ["id", "enterprise_id", "chain_name", "role", "city_code", "valid_from",
                                   "valid_to", "note"]
    add_columns = edit_columns = list_columns[1:]
    search_columns = ["enterprise_id", "city_code", "chain_name"]


APIS = (CityApi, OccupationApi, SkillLevelApi, TrainingInstitutionApi, SubsidyStandardApi, WorkdayOverrideApi,
        EnterpriseApi, EcosystemRecognitionApi)
