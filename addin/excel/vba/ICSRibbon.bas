Attribute VB_Name = "ICSRibbon"
' Callbacks of the ICS Benchmarking ribbon tab (addin/excel/customUI14.xml). The buttons do nothing in VBA: each hands
' its id to the Python dispatcher addin.ribbon_excel.on_action through xlwings' RunPython (module xlwings, embedded
' from the installed xlwings package when the add-in is built).
Option Explicit

Public Sub OnRibbonLoad(ribbon As IRibbonUI)
    ' Runs once when Excel loads the add-in: the function wizard learns the help texts of the ICS_ functions.
    RegisterFunctionHelp
End Sub

Public Sub OnRibbonAction(control As IRibbonControl)
    RunPython "import addin.ribbon_excel; addin.ribbon_excel.on_action('" & control.Id & "')"
End Sub
