#!/usr/bin/env python3
"""Writes the TIC (Linky télé-information) frame corpus: one <name>.bin per frame (STX … ETX,
7-bit characters) and one <name>.expect with the values a reader must find. Group layout and
checksums per Enedis-NOI-CPT_54E (historique: label SP data SP checksum over label..data;
standard: label HT [horodate HT] data HT checksum over label..the last HT). Labels and their
order follow the Enedis document's examples for each tariff option; readings and addresses are
made up. Run: python3 make_corpus.py (writes next to itself)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def cs(covered: str) -> str:
    return chr((sum(covered.encode("ascii")) & 0x3F) + 0x20)


def hist(label, data):
    body = label + " " + data
    return "\n" + body + " " + cs(body) + "\r"


def std(label, data, horodate=None):
    body = label + "\t" + (horodate + "\t" if horodate is not None else "") + data + "\t"
    return "\n" + body + cs(body) + "\r"


def frame(groups):
    return ("\x02" + "".join(groups) + "\x03").encode("ascii")


CORPUS = {}


def add(name, groups, expect):
    CORPUS[name] = (frame(groups), expect)


add("hist_base_1ph", [
    hist("ADCO", "031762120544"), hist("OPTARIF", "BASE"), hist("ISOUSC", "30"), hist("BASE", "027736110"),
    hist("PTEC", "TH.."), hist("IINST", "008"), hist("IMAX", "090"), hist("PAPP", "01860"), hist("HHPHC", "A"),
    hist("MOTDETAT", "000000"),
], {"current_l1_a": 8, "apparent_power_total_va": 1860, "energy_import_wh": 27736110})

add("hist_hc_1ph", [
    hist("ADCO", "021861348497"), hist("OPTARIF", "HC.."), hist("ISOUSC", "45"), hist("HCHC", "010956118"),
    hist("HCHP", "016780432"), hist("PTEC", "HP.."), hist("IINST", "012"), hist("IMAX", "090"), hist("PAPP", "02790"),
    hist("HHPHC", "A"), hist("MOTDETAT", "000000"),
], {"current_l1_a": 12, "apparent_power_total_va": 2790, "energy_import_wh": 27736550})

add("hist_hc_3ph", [
    hist("ADCO", "031428067147"), hist("OPTARIF", "HC.."), hist("ISOUSC", "20"), hist("HCHC", "004123505"),
    hist("HCHP", "006612874"), hist("PTEC", "HC.."), hist("IINST1", "004"), hist("IINST2", "009"),
    hist("IINST3", "001"), hist("IMAX1", "060"), hist("IMAX2", "060"), hist("IMAX3", "060"), hist("PMAX", "13140"),
    hist("PAPP", "03220"), hist("HHPHC", "A"), hist("MOTDETAT", "000000"), hist("PPOT", "00"),
], {"current_l1_a": 4, "current_l2_a": 9, "current_l3_a": 1, "apparent_power_total_va": 3220,
    "energy_import_wh": 10736379})

add("hist_ejp_1ph", [
    hist("ADCO", "020830012345"), hist("OPTARIF", "EJP."), hist("ISOUSC", "60"), hist("EJPHN", "041220031"),
    hist("EJPHPM", "002115790"), hist("PTEC", "HN.."), hist("IINST", "021"), hist("IMAX", "090"),
    hist("PAPP", "04910"), hist("MOTDETAT", "000000"),
], {"current_l1_a": 21, "apparent_power_total_va": 4910, "energy_import_wh": 43335821})

add("hist_tempo_1ph", [
    hist("ADCO", "040422040644"), hist("OPTARIF", "BBR("), hist("ISOUSC", "45"), hist("BBRHCJB", "002316405"),
    hist("BBRHPJB", "004025380"), hist("BBRHCJW", "000419250"), hist("BBRHPJW", "000688108"),
    hist("BBRHCJR", "000102331"), hist("BBRHPJR", "000213660"), hist("PTEC", "HPJB"), hist("DEMAIN", "----"),
    hist("IINST", "005"), hist("IMAX", "090"), hist("PAPP", "01150"), hist("HHPHC", "Y"),
    hist("MOTDETAT", "000000"),
], {"current_l1_a": 5, "apparent_power_total_va": 1150, "energy_import_wh": 7765134})

add("std_1ph_consumer", [
    std("ADSC", "041876097467"), std("VTIC", "02"), std("DATE", "", "H240117183712"),
    std("NGTF", "      BASE      "), std("LTARF", "      BASE      "), std("EAST", "012345678"),
    std("EASF01", "012345678"), std("EASF02", "000000000"), std("EASD01", "012345678"), std("IRMS1", "007"),
    std("URMS1", "232"), std("PREF", "09"), std("PCOUP", "09"), std("SINSTS", "01612"),
    std("SMAXSN", "05812", "H240117075304"), std("SMAXSN-1", "06021", "H240116191208"),
    std("CCASN", "01534", "H240117183000"), std("UMOY1", "231", "H240117183000"), std("STGE", "003A0001"),
    std("MSG1", "PAS DE          MESSAGE         "), std("PRM", "21428730056042"), std("RELAIS", "000"),
    std("NTARF", "01"), std("NJOURF", "00"), std("NJOURF+1", "00"),
], {"current_l1_a": 7, "voltage_l1_v": 232, "apparent_power_total_va": 1612, "energy_import_wh": 12345678})

add("std_3ph_consumer", [
    std("ADSC", "031428067147"), std("VTIC", "02"), std("DATE", "", "E240704121530"),
    std("NGTF", "   HEURE CREUSE "), std("LTARF", "  HEURE  PLEINE "), std("EAST", "035991344"),
    std("EASF01", "014211502"), std("EASF02", "021779842"), std("IRMS1", "012"), std("IRMS2", "003"),
    std("IRMS3", "006"), std("URMS1", "234"), std("URMS2", "236"), std("URMS3", "233"), std("PREF", "12"),
    std("PCOUP", "12"), std("SINSTS", "04922"), std("SINSTS1", "02781"), std("SINSTS2", "00704"),
    std("SINSTS3", "01437"), std("SMAXSN", "07210", "E240704083012"), std("STGE", "013A4401"),
    std("PRM", "09188225371930"), std("NTARF", "02"),
], {"current_l1_a": 12, "current_l2_a": 3, "current_l3_a": 6, "voltage_l2_v": 236,
    "apparent_power_total_va": 4922, "energy_import_wh": 35991344})

add("std_1ph_producer_export", [
    std("ADSC", "041976125430"), std("VTIC", "02"), std("DATE", "", "E240618131002"),
    std("NGTF", "      BASE      "), std("EAST", "008102337"), std("EASF01", "008102337"),
    std("EAIT", "002601845"), std("ERQ1", "000421300"), std("ERQ2", "000012104"), std("IRMS1", "014"),
    std("URMS1", "241"), std("PREF", "09"), std("SINSTS", "00000"), std("SINSTI", "03312"),
    std("SMAXIN", "04105", "E240618124511"), std("STGE", "003A0001"), std("PRM", "21428730056043"),
], {"current_l1_a": -14, "voltage_l1_v": 241, "power_total_w": -3312, "energy_import_wh": 8102337,
    "energy_export_wh": 2601845, "signed": 1})

add("std_3ph_producer", [
    std("ADSC", "031977201188"), std("VTIC", "02"), std("DATE", "", "E240618130509"),
    std("EAST", "021004118"), std("EASF01", "021004118"), std("EAIT", "011840005"), std("IRMS1", "009"),
    std("IRMS2", "002"), std("IRMS3", "008"), std("URMS1", "238"), std("URMS2", "235"), std("URMS3", "239"),
    std("PREF", "12"), std("SINSTS", "00480"), std("SINSTS1", "00000"), std("SINSTS2", "00480"),
    std("SINSTS3", "00000"), std("SINSTI", "03950"), std("SMAXIN", "06230", "E240618121507"),
    std("STGE", "013A4401"), std("PRM", "09188225371931"),
], {"current_l1_a": -9, "current_l2_a": 2, "current_l3_a": -8, "power_total_w": -3470,
    "apparent_power_total_va": 480, "energy_import_wh": 21004118, "energy_export_wh": 11840005, "signed": 1})

for name, (data, expect) in CORPUS.items():
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(HERE, name + ".expect"), "w") as f:
        for k, v in expect.items():
            f.write("%s=%s\n" % (k, v))
print(len(CORPUS), "frames")
